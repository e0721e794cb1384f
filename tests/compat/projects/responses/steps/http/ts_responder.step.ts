import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsResponder',
  path: '/ts/respond/:kind',
  method: 'GET',
  emits: [],
}

export const handler: Handlers['TsResponder'] = async (req) => {
  switch (req.pathParams.kind) {
    case 'json':
      return { status: 200, body: { lang: 'ts', list: [1, 'two', null], nested: { ok: true } } }
    case 'text':
      return { status: 200, body: 'plain words from ts' }
    case 'csv':
      return { status: 200, body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } }
    case 'bytes':
      return { status: 200, body: Buffer.from([0, 1, 2, 253, 254, 255]), headers: { 'content-type': 'application/x-demo' } }
    case 'headers':
      return { status: 200, body: { ok: true }, headers: { 'x-powered-by': 'ts-step', 'cache-control': 'no-store' } }
    case 'created':
      return { status: 201, body: { id: 'ts-1' }, headers: { location: '/things/ts-1' } }
    case 'empty':
      return { status: 204 }
    case 'teapot':
      return { status: 418, body: { error: "I'm a teapot" } }
    case 'nothing':
      return undefined as any
  }
  return { status: 404, body: { error: 'no such kind' } }
}
