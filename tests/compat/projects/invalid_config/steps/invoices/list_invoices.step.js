export const config = { type: 'api', name: 'ListInvoices', path: '/invoices', method: 'GET', emits: [] }
export const handler = async () => ({ status: 200, body: [] })
