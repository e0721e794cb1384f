import { spawn } from 'node:child_process'

export const config = {
  type: 'api',
  name: 'TsForkBomb',
  path: '/ts/forkbomb',
  method: 'GET',
  emits: [],
  infrastructure: { handler: { timeout: 5 } },
}

export const handler = async (req: any) => {
  if (req.queryParams.go !== '1') return { status: 200, body: { alive: true } }
  // The tag marks the children in `ps`, so a test can tell whether any outlived the worker.
  const tag = String(req.queryParams.tag ?? 'stephost-forkbomb')
  const pause = new Int32Array(new SharedArrayBuffer(4))
  let spawned = 0
  while (spawned < 1000) {
    // bounded, so a missing limit cannot sink the machine; synchronous, as a bomb is:
    // the event loop never turns, so neither Cancel nor Ping gets through
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', tag], { stdio: 'ignore' })
    child.on('error', () => {})
    if (child.pid === undefined) {
      Atomics.wait(pause, 0, 0, 10) // refused (EAGAIN): a real bomb keeps trying
      continue
    }
    spawned++
  }
  return { status: 200, body: { spawned } }
}
