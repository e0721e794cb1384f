import { z } from 'zod'

export const config = {
  name: 'orderStatus',
  schema: z.object({
    status: z.enum(['placed', 'notified', 'refunded']),
    total: z.number(),
    updatedBy: z.string().optional(),
  }),
  baseConfig: { storageType: 'default' },
}
