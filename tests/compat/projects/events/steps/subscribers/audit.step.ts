import { EventConfig, Handlers } from 'motia'
import { z } from 'zod'
import { seenKey } from '../lib/attempt-keys.js'

export const config: EventConfig = {
  type: 'event',
  name: 'AuditTs',
  subscribes: ['audit.recorded'],
  emits: [],
  input: z.object({ who: z.string(), n: z.number().int() }),
  flows: ['audit'],
}

export const handler: Handlers['AuditTs'] = async (input, { state, traceId }) => {
  await state.set(seenKey('ts'), traceId, input)
}
