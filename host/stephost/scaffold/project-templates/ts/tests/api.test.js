// Runs this project on a real stephost host (real workers, a free port, its own
// in-memory storage) and talks to it over HTTP. `npm test` runs it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startHost } from './host.js'

let host

before(async () => {
  host = await startHost({ project: fileURLToPath(new URL('..', import.meta.url)) })
})

after(async () => {
  await host?.stop()
})

test('a new todo is saved by the event step and listed', async () => {
  const created = await host.post('/todos', { title: 'write a test' })
  assert.equal(created.status, 201)

  await host.waitEvents({ step: 'SaveTodo', msg: 'todo saved', traceId: created.traceId })
  const listed = await host.get('/todos')
  assert.ok(listed.body.some((todo) => todo.id === created.body.id && todo.title === 'write a test'))
})

test('a todo without a title is refused by the body schema', async () => {
  const refused = await host.post('/todos', { done: true })
  assert.equal(refused.status, 400)
})

test('an event emitted from the test reaches the event step', async () => {
  const todo = { id: 'todo_from_test', title: 'emitted', done: false }
  const emitted = await host.emit('todo.created', todo)
  assert.equal(emitted.status, 200)

  const [record] = await host.waitEvents({ step: 'SaveTodo', traceId: emitted.traceId })
  assert.equal(record.todoId, 'todo_from_test')
})
