export const config = {
  type: 'api',
  name: 'UnknownKey',
  path: '/unknown',
  method: 'GET',
  emits: [],
  bodySchemaa: { type: 'object' },
}

export const handler = async () => ({ status: 200, body: {} })
