// ESM JavaScript with a default export object, and emits: [] (allows nothing).
import { attemptEmit } from '../lib/attempt.js'

export default {
  config: {
    type: 'api',
    name: 'JsEmitter',
    path: '/js/emit',
    method: 'POST',
    emits: [],
    flows: ['audit'],
  },
  handler: async (req, ctx) => attemptEmit(ctx.emit, req.body),
}
