import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsTalk',
  path: '/ts/talk',
  method: 'GET',
  emits: [],
  flows: ['talk'],
}

export const handler: Handlers['TsTalk'] = async (req, { logger, traceId }) => {
  console.log(`console.log from ts ${traceId}`)
  console.error(`console.error from ts ${traceId}`)
  logger.info(`logger from ts ${traceId}`, { lang: 'ts' })
  if (req.queryParams.fail) {
    console.log(`last words from ts ${traceId}`)
    throw new Error('ts talker failed')
  }
  return { status: 200, body: { said: 3 } }
}
