import { NoopConfig } from 'motia'

export const config: NoopConfig = {
  type: 'noop',
  name: 'ManualReview',
  virtualEmits: ['order.reviewed'],
  virtualSubscribes: ['order.created'],
}
