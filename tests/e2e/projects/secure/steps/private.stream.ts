export const config = {
  name: 'private',
  schema: { type: 'object', properties: { text: { type: 'string' } } },
  baseConfig: { storageType: 'default' },
  canAccess: (subscription: { groupId: string }, auth: { userId?: string } | null) => {
    if (subscription.groupId === 'boom') throw new Error('canAccess exploded')
    return auth?.userId === subscription.groupId
  },
}
