import { ApiRouteConfig, Handlers } from 'motia'
import { z } from 'zod'

const item = z.object({ sku: z.string(), qty: z.number().int().min(1) })

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'CreateOrder',
  description: 'Place an order in a shop',
  path: '/shops/:shop/orders',
  method: 'POST',
  emits: ['order.created', { topic: 'order.audit', label: 'audit trail', conditional: true }],
  flows: ['orders'],
  bodySchema: z.object({
    customer: z.object({ name: z.string(), email: z.string().email() }),
    items: z.array(item).min(1),
    priority: z.enum(['normal', 'express']).optional(),
    note: z.string().nullable(),
  }),
  queryParams: [{ name: 'dryRun', description: 'price only' }],
  responseSchema: {
    201: z.object({ id: z.string(), total: z.number() }),
    400: z.object({ error: z.string() }),
  },
}

export const handler: Handlers['CreateOrder'] = async (req, { emit, logger, traceId, state }) => {
  const shop: string = req.pathParams.shop
  if (req.body.items.length > 100) {
    return { status: 400, body: { error: 'too many items' } }
  }
  const id = `ord-${traceId.slice(0, 8)}`
  const total = req.body.items.reduce((sum, i) => sum + i.qty * 10, 0)
  logger.info('order placed', { shop, id, priority: req.body.priority ?? 'normal' })
  await state.set('orders', id, { shop, total })
  if (req.queryParams.dryRun !== '1') {
    await emit({ topic: 'order.created', data: { orderId: id, shop, total, items: req.body.items, note: req.body.note } })
    await emit({ topic: 'order.audit', data: { anything: ['goes', 1] } })
  }
  return { status: 201, body: { id, total } }
}
