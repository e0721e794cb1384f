module.exports = {
  config: { type: 'api', name: 'Upload', path: '/upload', method: 'POST', emits: [], flows: ['inbox'] },
  handler: async (req) => ({ status: 200, body: { received: req.rawBody.length } }),
}
