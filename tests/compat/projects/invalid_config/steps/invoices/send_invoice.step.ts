import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'SendInvoice',
  path: '/invoices',
  method: 'POST',
  emits: ['invoice.sent'],
}

export const handler: Handlers['SendInvoice'] = async (req, { emit }) => {
  await emit({ topic: 'invoice.sent', data: req.body })
  return { status: 202, body: {} }
}
