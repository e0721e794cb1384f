export const config = {
  type: 'api',
  name: 'TsBomb',
  path: '/ts/bomb',
  method: 'GET',
  emits: [],
  infrastructure: { handler: { ram: 256 } },
}

export const handler = async (req: any) => {
  if (req.queryParams.go === '1') {
    const hoard: Buffer[] = []
    while (hoard.length < 200) hoard.push(Buffer.alloc(20 * 2 ** 20, 1)) // bounded at 4 GB
  }
  return { status: 200, body: { alive: true } }
}
