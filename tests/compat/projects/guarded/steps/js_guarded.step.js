const { explodeOnDemand, mark } = require('../src/middlewares/common')

const denyWhenAsked = async (req, ctx, next) => {
  req.order = [...(req.order || []), 'deny?']
  if (req.queryParams.deny === '1') {
    return { status: 403, body: { error: 'denied', by: 'js-deny', seen: req.order }, headers: { 'x-denied-by': 'js' } }
  }
  req.user = { id: 'js-user' }
  return next()
}

exports.config = {
  type: 'api',
  name: 'JsGuarded',
  path: '/js/guarded',
  method: 'GET',
  emits: [],
  middleware: [mark('first'), explodeOnDemand, denyWhenAsked, mark('last')],
}

exports.handler = async (req) => ({ status: 200, body: { order: [...req.order, 'handler'], user: req.user } })
