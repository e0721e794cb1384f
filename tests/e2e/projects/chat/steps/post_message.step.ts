export const config = {
  type: 'api',
  name: 'PostMessage',
  path: '/rooms/:room/messages',
  method: 'POST',
  emits: [],
}

export const handler = async (req: any, ctx: any) => {
  const { id, ...data } = req.body
  const item = await ctx.streams.chat.set(req.pathParams.room, id, data)
  return { status: 200, body: item }
}
