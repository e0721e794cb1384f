export const config = {
  type: 'api',
  name: 'Profile',
  path: '/profile/:id',
  method: 'GET',
  emits: [],
  responseSchema: {
    200: { type: 'object', properties: { id: { type: 'string' }, age: { type: 'integer' } }, required: ['id', 'age'] },
  },
}

export const handler = async (req: any) => {
  // id "bad" answers a body that breaks the step's own responseSchema
  const body = req.pathParams.id === 'bad' ? { id: 42 } : { id: req.pathParams.id, age: 7 }
  return { status: 200, body }
}
