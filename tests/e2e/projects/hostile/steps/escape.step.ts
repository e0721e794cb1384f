import { spawn } from 'node:child_process'

export const config = { type: 'api', name: 'TsEscape', path: '/ts/escape', method: 'GET', emits: [] }

export const handler = async (req: any) => {
  if (req.queryParams.how === 'spawn') {
    // A child in a session of its own, out of the worker's process group: a kill of that
    // group misses it. It keeps the worker's stdout and stderr, so it holds those pipes too.
    const tag = String(req.queryParams.tag ?? 'stephost-escapee')
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)', tag], {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.unref()
    return { status: 200, body: { pid: child.pid } }
  }
  if (req.queryParams.how === 'exit') process.exit(3)
  return { status: 200, body: { alive: true } }
}
