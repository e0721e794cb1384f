import { CronConfig, Handlers } from 'motia'

export const config: CronConfig = {
  type: 'cron',
  name: 'NightlyReport',
  cron: '0 3 * * *',
  emits: ['report.due', 'cleanup.requested'],
}

export const handler: Handlers['NightlyReport'] = async ({ emit }) => {
  await emit({
    topic: 'report.due',
    data: { kind: 'daily', sections: [{ title: 'orders', children: [{ title: 'refunds', children: [] }] }], owner: null },
  })
  await emit({ topic: 'cleanup.requested', data: { olderThanDays: 30 } })
}
