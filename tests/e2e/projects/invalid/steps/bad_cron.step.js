export const config = { type: 'cron', name: 'BadCron', cron: '61 * * * *', emits: [] }
export const handler = async () => {}
