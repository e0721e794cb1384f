export const config = {
  type: 'event',
  name: 'ProcessRefund',
  subscribes: ['refund.requested'],
  emits: [],
  input: {
    type: 'object',
    properties: { orderId: { type: 'string' }, reason: { type: 'string' } },
    required: ['orderId', 'reason'],
    additionalProperties: false,
  },
}

export const handler = async (input, { logger }) => {
  logger.info('refund', { order: input.orderId })
}
