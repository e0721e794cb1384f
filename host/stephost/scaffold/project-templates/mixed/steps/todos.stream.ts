import { z } from 'zod'

// Clients subscribe to it over WebSocket on the host's port:
// {"type": "join", "data": {"streamName": "todos", "groupId": "all", "subscriptionId": "..."}}
export const config = {
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean() }),
  baseConfig: { storageType: 'default' },
}
