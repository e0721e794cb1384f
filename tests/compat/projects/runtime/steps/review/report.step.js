// The JS end of the review flow; its virtual emits feed the noop steps.
export const config = {
  type: 'api',
  name: 'PublishReport',
  path: '/reports',
  method: 'POST',
  emits: [],
  virtualEmits: ['report.ready'],
  virtualSubscribes: ['report.rejected'],
  flows: ['review'],
}

export const handler = async (req, { traceId }) => ({ status: 202, body: { queued: traceId } })
