import { ApiRouteConfig, Handlers } from 'motia'
import { greet } from './lib/greet'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsHello',
  path: '/ts/hello/:name',
  method: 'GET',
  emits: [],
}

export const handler: Handlers['TsHello'] = async (req: any, ctx: any) => {
  return {
    status: 200,
    body: { lang: 'ts', greeting: greet(req.pathParams.name), query: req.queryParams, traceId: ctx.traceId },
    headers: { 'x-step': 'TsHello' },
  }
}
