export const config = { type: 'api', name: 'TsSleep', path: '/ts/sleep', method: 'GET', emits: [] }

export const handler = async (req: any) => {
  // blocks the whole Node thread: no timers, no pongs, no cancel
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(req.queryParams.s ?? 0) * 1000)
  return { status: 200, body: { alive: true } }
}
