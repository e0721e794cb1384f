import { randomUUID } from 'node:crypto'

export const config = {
  type: 'event',
  name: 'ShipOrder',
  subscribes: ['order.placed'],
  emits: [],
  infrastructure: { handler: { timeout: 3 }, queue: { visibilityTimeout: 5, concurrency: 16 } },
}

export const handler = async (data: { id: number; slow?: boolean }, ctx: any) => {
  if (data.slow) await new Promise((resolve) => setTimeout(resolve, 20))
  await ctx.state.set('shipped', randomUUID(), data.id)
}
