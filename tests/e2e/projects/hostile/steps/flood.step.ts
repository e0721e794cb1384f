export const config = { type: 'api', name: 'TsFlood', path: '/ts/flood', method: 'GET', emits: [] }

export const handler = async () => {
  for (let n = 0; n < 50_000; n++) console.log(`flood line ${n} ` + 'x'.repeat(100))
  process.stdout.write('y'.repeat(200_000) + '\n') // one huge line, no newline for a long while
  return { status: 200, body: { printed: 50_001 } }
}
