import { ApiRouteConfig, Handlers } from 'motia'
import { z } from 'zod'
import { totalOf } from '@services/pricing'

const orderBody = z
  .object({
    customer: z.object({
      name: z.string().min(1),
      email: z.string().email(),
    }),
    items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).min(1),
    note: z.string().optional(),
  })
  .strict()

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'CreateOrder',
  description: 'Place an order',
  path: '/orders',
  method: 'POST',
  emits: ['order.created'],
  flows: ['orders'],
  bodySchema: orderBody,
  queryParams: [{ name: 'dryRun', description: 'validate and price only' }],
  responseSchema: {
    201: z.object({ id: z.string(), total: z.number() }),
  },
}

export const handler: Handlers['CreateOrder'] = async (req, { emit, logger, traceId }) => {
  logger.info('creating order', { customer: req.body.customer.email })
  const id = `ord-${traceId.slice(0, 8)}`
  const total = totalOf(req.body.items)
  if (req.queryParams.dryRun !== '1') {
    await emit({ topic: 'order.created', data: { id, email: req.body.customer.email, total } })
  }
  return { status: 201, body: { id, total } }
}
