import { EventConfig, Handlers } from 'motia'
import { z } from 'zod'

export const config: EventConfig = {
  type: 'event',
  name: 'Inbox',
  subscribes: ['inbox.message'],
  emits: [],
  input: z.object({ text: z.string() }),
  flows: ['inbox'],
}

export const handler: Handlers['Inbox'] = async (input, { state, traceId }) => {
  await state.set('inbox', traceId, { text: input.text, by: 'ts' })
}
