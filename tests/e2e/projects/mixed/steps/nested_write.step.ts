export const config = {
  type: 'api',
  name: 'NestedWrite',
  path: '/nested',
  method: 'POST',
  emits: [],
}

export const handler = async (req: any, ctx: any) => {
  const stored = await ctx.state.set('nested', req.body.key, req.body.value)
  return { status: 200, body: { stored } }
}
