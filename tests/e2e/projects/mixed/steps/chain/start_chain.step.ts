export const config = {
  type: 'api',
  name: 'StartChain',
  path: '/chain',
  method: 'POST',
  emits: ['chain.started'],
}

export const handler = async (req: any, ctx: any) => {
  await ctx.emit({ topic: 'chain.started', data: { n: req.body.n, path: ['ts'] } })
  return { status: 202, body: { traceId: ctx.traceId } }
}
