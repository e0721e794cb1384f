import { ApiMiddleware } from 'motia'

/** Rejects requests without a bearer token; otherwise tells the handler who calls. */
export const authMiddleware: ApiMiddleware = async (req: any, ctx, next) => {
  req.order = [...(req.order ?? []), 'auth']
  const header: string | undefined = req.headers['authorization']
  if (!header?.startsWith('Bearer ')) {
    ctx.logger.warn('rejected: no token')
    return { status: 401, body: { error: 'unauthorized', by: 'ts-auth', seen: req.order }, headers: { 'www-authenticate': 'Bearer' } }
  }
  req.user = { id: header.slice('Bearer '.length) }
  return next()
}
