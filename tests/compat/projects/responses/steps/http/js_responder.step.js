exports.config = {
  type: 'api',
  name: 'JsResponder',
  path: '/js/respond/:kind',
  method: 'GET',
  emits: [],
}

exports.handler = async (req) => {
  const kind = req.pathParams.kind
  if (kind === 'json') return { status: 200, body: { lang: 'js', list: [1, 'two', null], nested: { ok: true } } }
  if (kind === 'text') return { status: 200, body: 'plain words from js' }
  if (kind === 'csv') return { status: 200, body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } }
  if (kind === 'bytes') {
    return { status: 200, body: Buffer.from([0, 1, 2, 253, 254, 255]), headers: { 'content-type': 'application/x-demo' } }
  }
  if (kind === 'headers') return { status: 200, body: { ok: true }, headers: { 'x-powered-by': 'js-step', 'cache-control': 'no-store' } }
  if (kind === 'created') return { status: 201, body: { id: 'js-1' }, headers: { location: '/things/js-1' } }
  if (kind === 'empty') return { status: 204 }
  if (kind === 'teapot') return { status: 418, body: { error: "I'm a teapot" } }
  if (kind === 'nothing') return
  return { status: 404, body: { error: 'no such kind' } }
}
