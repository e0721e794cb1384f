export const config = { type: 'api', name: 'TsExit', path: '/ts/exit', method: 'GET', emits: [] }

export const handler = async (req: any) => {
  if (req.queryParams.how === 'exit') process.exit(3)
  if (req.queryParams.how === 'abort') process.abort()
  return { status: 200, body: { alive: true } }
}
