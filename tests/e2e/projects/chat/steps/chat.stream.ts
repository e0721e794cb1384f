import { z } from 'zod'

export const config = {
  name: 'chat',
  schema: z.object({ text: z.string(), author: z.string() }),
  baseConfig: { storageType: 'default' },
}
