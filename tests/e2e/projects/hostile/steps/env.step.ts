export const config = { type: 'api', name: 'TsEnv', path: '/ts/env', method: 'GET', emits: [] }

export const handler = async () => ({ status: 200, body: { ...process.env } })
