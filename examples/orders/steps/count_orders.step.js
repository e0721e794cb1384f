export const config = {
  type: 'cron',
  name: 'CountOrders',
  description: 'Log how many orders exist, every 10 seconds',
  cron: '*/10 * * * * *',
  emits: [],
  flows: ['orders'],
}

export const handler = async (ctx) => {
  const orders = await ctx.state.getGroup('orders')
  ctx.logger.info('order count', { count: orders.length })
}
