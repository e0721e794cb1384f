import { ApiRouteConfig, Handlers } from 'motia'
import { authMiddleware } from '../src/middlewares/auth.middleware'
import { explodeOnDemand, mark } from '../src/middlewares/common'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsGuarded',
  path: '/ts/guarded',
  method: 'GET',
  emits: [],
  middleware: [mark('first'), explodeOnDemand, authMiddleware, mark('last')],
}

export const handler: Handlers['TsGuarded'] = async (req: any) => {
  return { status: 200, body: { order: [...req.order, 'handler'], user: req.user } }
}
