export const config = {
  type: 'event',
  name: 'Ordered',
  subscribes: ['ordered'],
  emits: [],
  infrastructure: { queue: { type: 'fifo', maxRetries: 5 } },
}

export const handler = async (data: { group: string; n: number; failOnce?: boolean }, ctx: any) => {
  await new Promise((resolve) => setTimeout(resolve, 10))
  if (data.failOnce && ctx.attempt === 1) {
    throw new Error(`event ${data.n} of group ${data.group} fails once`)
  }
  const seen = (await ctx.state.get('ordered', data.group)) ?? []
  await ctx.state.set('ordered', data.group, [...seen, data.n])
}
