import { NoopConfig } from 'motia'

export const config: NoopConfig = {
  type: 'noop',
  name: 'ManualReview',
  description: 'Someone reads the report',
  virtualSubscribes: ['report.ready'],
  virtualEmits: [{ topic: 'report.approved', label: 'approved' }, 'report.rejected'],
  flows: ['talk', 'review'],
}
