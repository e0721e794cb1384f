import { EventConfig, Handlers } from 'motia'
import { z } from 'zod'

export const config: EventConfig = {
  type: 'event',
  name: 'OrderAnalytics',
  subscribes: ['order.created'],
  emits: [],
  input: z.object({ orderId: z.string(), total: z.number() }),
  flows: ['orders'],
}

export const handler: Handlers['OrderAnalytics'] = async (input, { streams, attempt, eventId }) => {
  await streams.orderStatus.set('orders', input.orderId, {
    status: 'placed',
    total: input.total,
    updatedBy: `analytics#${attempt}:${eventId}`,
  })
}
