import { z } from 'zod'

const orderSchema = z.object({
  item: z.string().min(1),
  quantity: z.number().int().positive(),
  customer: z.object({ name: z.string(), email: z.string().email() }),
})

export const config = {
  type: 'api',
  name: 'CreateOrder',
  description: 'Accept an order and hand it to the order pipeline',
  path: '/orders',
  method: 'POST',
  bodySchema: orderSchema,
  emits: ['order.created'],
  flows: ['orders'],
}

type Ctx = {
  traceId: string
  emit: (event: { topic: string; data: unknown }) => Promise<void>
  logger: { info: (msg: string, fields?: Record<string, unknown>) => void }
}

export const handler = async (req: { body: z.infer<typeof orderSchema> }, ctx: Ctx) => {
  const id = `ord_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const order = { id, ...req.body, status: 'created' }
  await ctx.emit({ topic: 'order.created', data: order })
  ctx.logger.info('order accepted', { orderId: id })
  return { status: 201, body: { id, traceId: ctx.traceId } }
}
