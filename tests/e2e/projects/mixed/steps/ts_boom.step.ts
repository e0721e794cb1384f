export const config = { type: 'api', name: 'TsBoom', path: '/ts/boom', method: 'GET', emits: [] }

export const handler = async () => {
  throw new TypeError('boom from typescript')
}
