// Shared by the TS and JS emitters: emit what the request asks for and report
// the outcome, or let the error escape when the caller wants it uncaught.
type Emit = (event: { topic: string; data: unknown }) => Promise<void>

export type EmitRequest = { topic: string; data: unknown; uncaught?: boolean }

export async function attemptEmit(emit: Emit, request: EmitRequest) {
  if (request.uncaught) {
    await emit({ topic: request.topic, data: request.data })
    return { status: 200, body: { emitted: request.topic } }
  }
  try {
    await emit({ topic: request.topic, data: request.data })
    return { status: 200, body: { emitted: request.topic } }
  } catch (err) {
    const error = err as { message: string; code?: string }
    return { status: 200, body: { error: error.message, code: error.code ?? null } }
  }
}
