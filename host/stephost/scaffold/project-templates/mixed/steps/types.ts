// The parts of stephost's `ctx` these steps use, so the handlers are typed without
// installing anything (a Motia project imports the same shapes from 'motia').

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export interface State {
  get<T>(group: string, key: string): Promise<T | null>
  set<T>(group: string, key: string, value: T): Promise<T>
  delete<T>(group: string, key: string): Promise<T | null>
  getGroup<T>(group: string): Promise<T[]>
  clear(group: string): Promise<void>
}

export interface Ctx {
  traceId: string
  logger: Logger
  state: State
  emit(event: { topic: string; data: unknown; messageGroupId?: string }): Promise<void>
}

export interface ApiRequest<Body = unknown> {
  body: Body
  headers: Record<string, string>
  pathParams: Record<string, string>
  queryParams: Record<string, string | string[]>
}

export interface Todo {
  id: string
  title: string
  done: boolean
}
