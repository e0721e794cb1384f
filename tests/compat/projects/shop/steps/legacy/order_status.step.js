// A plain CommonJS step, as older Motia projects wrote them.
const STATUSES = ['paid', 'shipped', 'cancelled']

const config = {
  type: 'api',
  name: 'SetOrderStatus',
  path: '/orders/:id/status',
  method: 'PUT',
  emits: [],
  flows: ['orders'],
  bodySchema: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: STATUSES },
      reason: { type: 'string' },
    },
    required: ['status'],
    additionalProperties: false,
  },
}

const handler = async (req, ctx) => {
  ctx.logger.info('status changed', { id: req.pathParams.id, status: req.body.status })
  return { status: 200, body: { id: req.pathParams.id, status: req.body.status } }
}

module.exports = { config, handler }
