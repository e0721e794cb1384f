export const config = {
  type: 'api',
  name: 'TsSpin',
  path: '/ts/spin',
  method: 'GET',
  emits: [],
  infrastructure: { handler: { timeout: 120 } }, // far off: the missed heartbeats come first
}

export const handler = async (req: any) => {
  if (req.queryParams.spin === '1') {
    while (true) {} // eslint-disable-line no-constant-condition
  }
  return { status: 200, body: { alive: true } }
}
