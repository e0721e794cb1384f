module.exports = {
  config: {
    type: 'cron',
    name: 'Tick',
    cron: '* * * * * *',
    emits: [],
  },
  handler: async (ctx) => {
    const n = (await ctx.state.get('ticks', 'count')) ?? 0
    await ctx.state.set('ticks', 'count', n + 1)
  },
}
