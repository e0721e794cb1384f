import { ApiRouteConfig, Handlers } from 'motia'
import { z } from 'zod'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'GetOrder',
  path: '/orders/:id/:part?',
  method: 'GET',
  emits: [],
  responseSchema: {
    200: z.object({ id: z.string(), status: z.string(), total: z.number() }),
    404: z.object({ error: z.string() }),
  },
}

export const handler: Handlers['GetOrder'] = async (req, { streams }) => {
  const item = await streams.orderStatus.get('orders', req.pathParams.id)
  if (item === null) {
    return { status: 404, body: { error: `no order ${req.pathParams.id} (${req.pathParams.part ?? 'all'})` } }
  }
  return { status: 200, body: { id: item.id, status: item.status, total: item.total } }
}
