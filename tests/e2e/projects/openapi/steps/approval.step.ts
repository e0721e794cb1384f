export const config = {
  type: 'noop',
  name: 'ManualApproval',
  virtualSubscribes: ['invoice.created'],
  virtualEmits: ['invoice.approved'],
  flows: ['billing'],
}
