import type { ApiRequest, Ctx, Todo } from './types'

export const config = {
  type: 'api',
  name: 'ListTodos',
  description: 'Read every saved todo back',
  path: '/todos',
  method: 'GET',
  emits: [],
  flows: ['todos'],
}

export const handler = async (_req: ApiRequest, ctx: Ctx) => {
  return { status: 200, body: await ctx.state.getGroup<Todo>('todos') }
}
