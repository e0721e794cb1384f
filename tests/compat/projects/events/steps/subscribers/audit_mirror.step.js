// A second subscriber of the same topic (fan-out), with a JSON Schema input.
export const config = {
  type: 'event',
  name: 'AuditJs',
  subscribes: ['audit.recorded'],
  emits: [],
  input: {
    type: 'object',
    properties: { who: { type: 'string' } },
    required: ['who'],
  },
  flows: ['audit'],
}

export const handler = async (input, { state, traceId }) => {
  await state.set('seen-by-js', traceId, input)
}
