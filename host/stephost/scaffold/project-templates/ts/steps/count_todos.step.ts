import type { Ctx } from './types'

export const config = {
  type: 'cron',
  name: 'CountTodos',
  description: 'Log how many todos there are, every minute',
  cron: '* * * * *',
  emits: [],
  flows: ['todos'],
}

export const handler = async (ctx: Ctx) => {
  const todos = await ctx.state.getGroup('todos')
  ctx.logger.info('todo count', { count: todos.length })
}
