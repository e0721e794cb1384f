export const config = { type: 'cron', name: 'Heartbeat', cron: '*/5 * * * *', emits: [] }

export const handler = async ({ logger }) => {
  logger.debug('alive')
}
