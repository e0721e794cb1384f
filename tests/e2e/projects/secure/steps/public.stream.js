export const config = { name: 'public', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
