export const config = {
  type: 'api',
  name: 'TsHang',
  path: '/ts/hang',
  method: 'GET',
  emits: [],
  infrastructure: { handler: { timeout: 120 } }, // far off: the caller leaves long before
}

export const handler = async (req: any) => {
  console.log(`hanging ${req.queryParams.tag ?? ''}`)
  // blocks the whole Node thread: the host's Cancel is never read
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(req.queryParams.s ?? 0) * 1000)
  return { status: 200, body: { alive: true } }
}
