import { z } from 'zod'
import type { ApiRequest, Ctx, Todo } from './types'

// The host checks every request body against this schema (400 with the errors otherwise).
const newTodo = z.object({
  title: z.string().min(1),
  done: z.boolean().optional(),
})

export const config = {
  type: 'api',
  name: 'CreateTodo',
  description: 'Accept a todo and announce it on todo.created',
  path: '/todos',
  method: 'POST',
  bodySchema: newTodo,
  emits: ['todo.created'],
  flows: ['todos'],
}

export const handler = async (req: ApiRequest<z.infer<typeof newTodo>>, ctx: Ctx) => {
  const todo: Todo = {
    id: `todo_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    title: req.body.title,
    done: req.body.done ?? false,
  }
  await ctx.emit({ topic: 'todo.created', data: todo })
  ctx.logger.info('todo accepted', { todoId: todo.id })
  return { status: 201, body: { id: todo.id, traceId: ctx.traceId } }
}
