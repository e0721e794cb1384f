import { z } from 'zod'
import { z as z3 } from 'zod/v3'

// zod 4, recursive: its JSON Schema refers to itself with `#`
const Category = z.object({
  name: z.string(),
  get subcategories() {
    return z.array(Category)
  },
})

// zod 3 reusing one object twice: zod-to-json-schema refers to `#/properties/billing`
const address = z3.object({ street: z3.string(), city: z3.string() })
const Saved = z3.object({ billing: address, shipping: address, count: z3.number().int() })

export const config = {
  type: 'api',
  name: 'SaveCategories',
  description: 'Save a category tree',
  path: '/categories/:tree',
  method: 'PUT',
  bodySchema: Category,
  responseSchema: { 200: Saved },
  emits: [],
  flows: ['catalog'],
}

const count = (c: { subcategories: unknown[] }): number =>
  1 + c.subcategories.reduce((n: number, s) => n + count(s as { subcategories: unknown[] }), 0)

export const handler = async (req: any) => {
  const address = { street: 'Main St 1', city: 'Bern' }
  return { status: 200, body: { billing: address, shipping: address, count: count(req.body) } }
}
