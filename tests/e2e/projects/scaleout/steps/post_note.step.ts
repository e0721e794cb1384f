export const config = { type: 'api', name: 'PostNote', path: '/board/:group/:id', method: 'PUT', emits: [] }

export const handler = async (req: any, ctx: any) => {
  const item = await ctx.streams.board.set(req.pathParams.group, req.pathParams.id, { text: req.body.text })
  return { status: 200, body: item }
}
