export const config = {
  type: 'api',
  name: 'TsLoop',
  path: '/ts/loop',
  method: 'GET',
  emits: [],
  infrastructure: { handler: { timeout: 2 } },
}

export const handler = async (req: any) => {
  if (req.queryParams.spin === '1') {
    while (true) {} // eslint-disable-line no-constant-condition
  }
  return { status: 200, body: { alive: true } }
}
