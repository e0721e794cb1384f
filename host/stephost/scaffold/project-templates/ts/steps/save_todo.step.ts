import { z } from 'zod'
import type { Ctx } from './types'

// Emits to todo.created are checked against this schema when they are made.
const todo = z.object({ id: z.string(), title: z.string(), done: z.boolean() })

export const config = {
  type: 'event',
  name: 'SaveTodo',
  description: 'Keep every new todo in state',
  subscribes: ['todo.created'],
  emits: [],
  input: todo,
  flows: ['todos'],
}

export const handler = async (input: z.infer<typeof todo>, ctx: Ctx) => {
  await ctx.state.set('todos', input.id, input)
  ctx.logger.info('todo saved', { todoId: input.id })
}
