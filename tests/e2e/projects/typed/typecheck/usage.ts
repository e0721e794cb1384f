// Compiled with the steps (tsconfig.json): the generated types used apart from a step file.
import type { ApiRequest, Handlers, StreamItems, Topics } from 'motia'

export const createOrder: Handlers['CreateOrder'] = async (req, ctx) => {
  const shop: string = req.pathParams.shop
  const email: string = req.body.customer.email
  const dryRun: string | string[] | undefined = req.queryParams.dryRun
  const data: Topics['order.created'] = { orderId: 'o1', shop, total: 1, items: [{ sku: 'a', qty: 1 }], note: null }
  await ctx.emit({ topic: 'order.created', data, messageGroupId: email })
  // A topic nobody subscribes to takes any data: never `never`.
  await ctx.emit({ topic: 'order.audit', data: { dryRun } })
  const status: (StreamItems['orderStatus'] & { id: string }) | null = await ctx.streams.orderStatus.get('orders', 'o1')
  const seen = await ctx.state.get<number>('orders', 'o1')
  ctx.logger.info('usage', { status: status?.status, seen, attempt: ctx.attempt, eventId: ctx.eventId })
  return { status: 201, body: { id: 'o1', total: seen ?? 0 } }
}

export const nightly: Handlers['NightlyReport'] = async ({ emit, flows }) => {
  await emit({ topic: 'report.due', data: { kind: 'weekly', sections: [], owner: flows[0] ?? null } })
  await emit({ topic: 'cleanup.requested', data: [1, 2, 3] })
}

// A plain (not async) handler is fine too; its request is an ApiRequest like any other.
export const refund: Handlers['RequestRefund'] = (req) => {
  const typed: ApiRequest<{ orderId: string; reason: 'damaged' | 'late' | 'other'; amount?: number | null }> = req
  return { status: 202, body: { queued: typed.body.reason === 'late' } }
}
