import { NoopConfig } from 'motia'

// Drawn in the flow diagram only: a person packs the order.
export const config: NoopConfig = {
  type: 'noop',
  name: 'PackOrder',
  description: 'A person packs the parcel',
  virtualSubscribes: ['order.created'],
  virtualEmits: [{ topic: 'order.packed', label: 'packed by hand' }],
  flows: ['orders'],
}
