import { ApiRouteConfig, Handlers } from 'motia'

// A user's own OPTIONS route (Motia 0.x shadowed it with its catch-all 204).
export const config: ApiRouteConfig = {
  type: 'api',
  name: 'OwnOptions',
  path: '/things',
  method: 'OPTIONS',
  emits: [],
}

export const handler: Handlers['OwnOptions'] = async () => ({
  status: 200,
  body: { methods: ['GET', 'OPTIONS'], from: 'OwnOptions' },
  headers: { 'x-own-options': 'yes' },
})
