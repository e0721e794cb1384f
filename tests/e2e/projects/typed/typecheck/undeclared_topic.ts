// Must NOT compile: CreateOrder does not declare order.shipped in its emits.
import type { Handlers } from 'motia'

export const handler: Handlers['CreateOrder'] = async (_req, { emit }) => {
  await emit({ topic: 'order.shipped', data: { orderId: 'o1' } })
  return { status: 201, body: { id: 'o1', total: 1 } }
}
