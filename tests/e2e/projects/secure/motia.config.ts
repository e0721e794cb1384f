import { defineConfig } from 'motia'
import logsPlugin from '@motiadev/plugin-logs/plugin'

export default defineConfig({
  plugins: [logsPlugin],
  streamAuth: {
    contextSchema: { type: 'object', properties: { userId: { type: 'string' } } },
    authenticate: async (request: { headers: Record<string, string>; url: string }) => {
      const token =
        request.headers['authorization']?.replace('Bearer ', '') ??
        new URL(request.url, 'http://local').searchParams.get('authToken')
      if (!token) return null
      if (token === 'bad') throw new Error('invalid token')
      return { userId: token }
    },
  },
})
