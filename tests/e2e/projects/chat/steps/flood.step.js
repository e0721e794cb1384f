export const config = { type: 'api', name: 'Flood', path: '/rooms/:room/flood', method: 'POST', emits: [] }

export const handler = async (req, ctx) => {
  const big = 'x'.repeat(req.body.size ?? 10)
  for (let n = 0; n < req.body.count; n++) {
    await ctx.streams.chat.set(req.pathParams.room, `f${n}`, { text: big, author: 'flood' })
  }
  return { status: 200, body: { written: req.body.count } }
}
