export const config = { type: 'api', name: 'TsBigLog', path: '/ts/biglog', method: 'GET', emits: [] }

export const handler = async (_req: unknown, { logger }: any) => {
  logger.info('y'.repeat(2 * 1024 * 1024), { blob: 'z'.repeat(1024) })
  logger.info('after the big one')
  return { status: 200, body: { logged: true } }
}
