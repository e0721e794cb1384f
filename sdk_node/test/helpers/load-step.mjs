// Loads one step file the way the worker does, in a fresh process with no tsx
// preloaded (the test runner's own tsx would hide loader bugs), and prints what
// the loader found as one JSON line. With a trigger, also runs the handler
// against a ctx whose calls are recorded and answered with null.
//
// usage (cwd = the project root, like the host):
//   node load-step.mjs <step file> [TRIGGER_KIND_API|EVENT|CRON|CAN_ACCESS|AUTHENTICATE] [payload json]

import { readdirSync } from 'node:fs'
import { createContext } from '../../dist/context.js'
import { invokeHandler } from '../../dist/invoke.js'
import { loadStep } from '../../dist/loader.js'
import { toApiResponse } from '../../dist/response.js'

const decode = (value) =>
  JSON.parse(JSON.stringify(value, (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('utf8') : v)))

const [file, trigger, payload] = process.argv.slice(2)
let out
try {
  const step = await loadStep(file, process.cwd())
  out = {
    ok: true,
    language: step.language,
    kind: step.kind,
    functions: step.functions,
    config: step.configJson,
    middlewareCount: step.middlewareCount,
    // OS threads of this process once the file is loaded: tsx's ES module loader adds one
    threads: readdirSync('/proc/self/task').length,
  }
  if (trigger) {
    const calls = []
    const logs = []
    const transport = {
      call: async (op) => {
        calls.push(decode(op))
        return null
      },
      log: (level, msg, fields) => logs.push({ level, msg, fields: fields ? JSON.parse(fields) : null }),
    }
    const ctx = createContext({ traceId: 'trace-1', flows: ['f'], attempt: 1, eventId: 'ev-1' }, transport, [])
    const result = await invokeHandler(step, trigger, JSON.parse(payload ?? 'null'), ctx)
    out.result = decode(trigger === 'TRIGGER_KIND_API' ? toApiResponse(result) : result ?? null)
    out.calls = calls
    out.logs = logs
  }
} catch (err) {
  out = { ok: false, code: err?.code, name: err?.name, message: err?.message ?? String(err), stack: err?.stack }
}
process.stdout.write(JSON.stringify(out) + '\n')
