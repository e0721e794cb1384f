// Must NOT compile: order.created's data needs a string orderId (NotifyOrder's Pydantic input).
import type { Handlers } from 'motia'

export const handler: Handlers['CreateOrder'] = async (_req, { emit }) => {
  await emit({ topic: 'order.created', data: { orderId: 42, shop: 's1', total: 1, items: [], note: null } })
  return { status: 201, body: { id: 'o1', total: 1 } }
}
