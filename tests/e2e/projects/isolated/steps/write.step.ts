import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const config = { type: 'api', name: 'TsWrite', path: '/ts/write', method: 'GET', emits: [] }

const attempt = (file: string): string => {
  try {
    fs.writeFileSync(file, 'written by a worker')
    return 'ok'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error'
  }
}

export const handler = async (req: any) => ({
  status: 200,
  body: {
    project: attempt(path.join(process.env.STEPHOST_PROJECT_ROOT ?? '.', 'ts-note.txt')),
    tmp: attempt(path.join(os.tmpdir(), 'ts-scratch.txt')),
    outside: attempt(path.join(String(req.queryParams.outside), 'ts-escape.txt')),
  },
})
