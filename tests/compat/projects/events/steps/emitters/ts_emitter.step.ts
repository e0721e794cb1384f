import { ApiRouteConfig, Handlers } from 'motia'
import { attemptEmit, type EmitRequest } from '../lib/attempt.js'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsEmitter',
  description: 'Emits whatever the request asks for',
  path: '/ts/emit',
  method: 'POST',
  emits: ['audit.recorded', { topic: 'nobody.listens', label: 'fire and forget' }],
  virtualEmits: ['audit.mailed'],
  flows: ['audit'],
}

export const handler: Handlers['TsEmitter'] = async (req, { emit }) => {
  return attemptEmit(emit, req.body as EmitRequest)
}
