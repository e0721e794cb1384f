module.exports = {
  config: {
    type: 'api',
    name: 'JsTalk',
    path: '/js/talk',
    method: 'GET',
    emits: [],
    flows: ['talk'],
  },
  handler: async (req, { logger, traceId }) => {
    console.log(`console.log from js ${traceId}`)
    console.error(`console.error from js ${traceId}`)
    logger.info(`logger from js ${traceId}`, { lang: 'js' })
    if (req.queryParams.fail) {
      console.log(`last words from js ${traceId}`)
      throw new Error('js talker failed')
    }
    return { status: 200, body: { said: 3 } }
  },
}
