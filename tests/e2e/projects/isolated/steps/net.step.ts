import net from 'node:net'

export const config = { type: 'api', name: 'TsNet', path: '/ts/net', method: 'GET', emits: [] }

export const handler = async (req: any) => {
  const outcome = await new Promise<{ reached: boolean; error: string | null }>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(req.queryParams.port) })
    socket.setTimeout(3000, () => { socket.destroy(); resolve({ reached: false, error: 'timeout' }) })
    socket.on('connect', () => { socket.destroy(); resolve({ reached: true, error: null }) })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ reached: false, error: err.code ?? 'error' }))
  })
  return { status: 200, body: outcome }
}
