export const config = {
  type: 'event',
  name: 'ChainEnd',
  subscribes: ['chain.continued'],
  emits: [],
}

export const handler = async (data, ctx) => {
  const result = { ...data, n: data.n + 1, path: [...data.path, 'js'], traces: [...data.traces, ctx.traceId] }
  await ctx.state.set('chain', ctx.traceId, result)
}
