export const config = {
  name: 'board',
  schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  baseConfig: { storageType: 'default' },
}
