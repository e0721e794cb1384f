export const config = { type: 'api', name: 'TsDawdle', path: '/ts/dawdle', method: 'GET', emits: [] }

// An async handler that ignores its AbortSignal: its event loop stays free (pings are
// answered), but the work goes on after the host's Cancel.
export const handler = async (req: any) => {
  await new Promise((resolve) => setTimeout(resolve, Number(req.queryParams.s ?? '0') * 1000))
  return { status: 200, body: { alive: true } }
}
