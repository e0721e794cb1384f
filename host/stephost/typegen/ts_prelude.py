"""The fixed part of `types.d.ts`: stephost's step contract as the module `motia`.

Motia 0.x projects import their types from `motia` (`ApiRouteConfig`, `Handlers`,
...). `types.d.ts` declares that module in full rather than augmenting an installed
one, so a project type-checks without the motia package, and an installed motia's
own declarations (which describe Motia's runtime, not stephost's) are not used: a
script-level `declare module` wins over module resolution.

The names and generic parameters are Motia's (`ApiRouteHandler<Body, Response,
Emit>`, `EventHandler<Input, Emit>`, `CronHandler<Emit>`), with stephost's additions
after them (typed path and query params; `attempt`, `eventId` and `flows` on ctx).
"""

from __future__ import annotations

PRELUDE = """\
  // ------------------------------------------------------------------ step configs

  /** A JSON Schema object, or a schema the SDK turns into one (zod v3/v4; Pydantic in Python). */
  export type StepSchemaInput = object
  export type Emit = string | { topic: string; label?: string; conditional?: boolean }
  export type ApiRouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'
  export interface QueryParam {
    name: string
    description?: string
  }
  export interface HandlerConfig {
    /** seconds, 1..900 */
    timeout?: number
    /** MB, 128..10240 */
    ram?: number
    cpu?: number
  }
  export interface QueueConfig {
    type?: 'standard' | 'fifo'
    maxRetries?: number
    visibilityTimeout?: number
    delaySeconds?: number
    concurrency?: number
  }
  export interface InfrastructureConfig {
    handler?: HandlerConfig
    queue?: QueueConfig
  }
  interface StepConfigBase {
    name: string
    description?: string
    flows?: string[]
    virtualEmits?: Emit[]
    virtualSubscribes?: string[]
    includeFiles?: string[]
  }
  export interface ApiRouteConfig extends StepConfigBase {
    type: 'api'
    path: string
    method: ApiRouteMethod
    emits?: Emit[]
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    middleware?: ApiMiddleware<any, any, any>[]
    bodySchema?: StepSchemaInput
    responseSchema?: Record<number, StepSchemaInput>
    queryParams?: QueryParam[]
    infrastructure?: InfrastructureConfig
  }
  export interface EventConfig extends StepConfigBase {
    type: 'event'
    subscribes: string[]
    emits?: Emit[]
    input?: StepSchemaInput
    infrastructure?: InfrastructureConfig
  }
  export interface CronConfig extends StepConfigBase {
    type: 'cron'
    cron: string
    emits?: Emit[]
    infrastructure?: InfrastructureConfig
  }
  export interface NoopConfig extends StepConfigBase {
    type: 'noop'
    virtualEmits: Emit[]
    virtualSubscribes: string[]
  }
  export type StepConfig = ApiRouteConfig | EventConfig | CronConfig | NoopConfig

  // ------------------------------------------------------------------ handlers and ctx

  export interface Logger {
    debug(message: string, fields?: unknown): void
    info(message: string, fields?: unknown): void
    warn(message: string, fields?: unknown): void
    error(message: string, fields?: unknown): void
  }
  /** Shared key-value state; values are any JSON value. */
  export interface InternalStateManager {
    get<T = unknown>(groupId: string, key: string): Promise<T | null>
    set<T = unknown>(groupId: string, key: string, value: T): Promise<T>
    delete<T = unknown>(groupId: string, key: string): Promise<T | null>
    getGroup<T = unknown>(groupId: string): Promise<T[]>
    clear(groupId: string): Promise<void>
  }
  export type BaseStreamItem<TData = unknown> = TData & { id: string }
  export interface StreamChannel {
    groupId: string
    id?: string
  }
  export interface StreamEvent<TData = unknown> {
    type: string
    data?: TData
  }
  export interface MotiaStream<TData> {
    get(groupId: string, id: string): Promise<BaseStreamItem<TData> | null>
    set(groupId: string, id: string, data: TData): Promise<BaseStreamItem<TData>>
    delete(groupId: string, id: string): Promise<BaseStreamItem<TData> | null>
    getGroup(groupId: string): Promise<BaseStreamItem<TData>[]>
    send<TEventData = unknown>(channel: StreamChannel, event: StreamEvent<TEventData>): Promise<void>
  }
  /** `{ topic, data }` for one topic a step declares in `emits`. */
  export type EmitData = { topic: string; data: unknown }
  /** `emit` accepts exactly the step's declared topics; with none declared it accepts nothing. */
  export type Emitter<TEmitData> = (event: TEmitData & { messageGroupId?: string }) => Promise<void>
  export interface FlowContext<TEmitData = never> {
    emit: Emitter<TEmitData>
    /** Node workers: aborted when the host cancels the invocation; pass it to what can stop early. */
    signal: AbortSignal
    traceId: string
    flows: string[]
    /** 1 on the first delivery of an event, 2 on its first retry, ... */
    attempt: number
    /** Stable across retries of one delivery: an idempotency key. */
    eventId: string
    state: InternalStateManager
    logger: Logger
    streams: FlowContextStateStreams
  }
  export interface ApiRequest<
    TBody = unknown,
    TPathParams = Record<string, string>,
    TQueryParams = Record<string, string | string[]>,
  > {
    body: TBody
    /** Lower-case names. */
    headers: Record<string, string | string[]>
    pathParams: TPathParams
    /** A repeated key gives a list. */
    queryParams: TQueryParams
    rawBody: string
  }
  export type ApiResponse<TStatus extends number = number, TBody = unknown> = {
    status: TStatus
    headers?: Record<string, string>
    body: TBody
  }
  export type ApiRouteHandler<
    TRequestBody = unknown,
    TResponse extends ApiResponse<number, unknown> = ApiResponse<number, unknown>,
    TEmitData = never,
    TPathParams = Record<string, string>,
    TQueryParams = Record<string, string | string[]>,
  > = (
    req: ApiRequest<TRequestBody, TPathParams, TQueryParams>,
    ctx: FlowContext<TEmitData>,
  ) => Promise<TResponse> | TResponse
  export type ApiMiddleware<TBody = unknown, TEmitData = never, TResult = unknown> = (
    req: ApiRequest<TBody>,
    ctx: FlowContext<TEmitData>,
    next: () => Promise<ApiResponse<number, TResult>>,
  ) => Promise<ApiResponse<number, TResult>>
  export type EventHandler<TInput = unknown, TEmitData = never> = (
    input: TInput,
    ctx: FlowContext<TEmitData>,
  ) => Promise<void> | void
  export type CronHandler<TEmitData = never> = (ctx: FlowContext<TEmitData>) => Promise<void> | void

  // ------------------------------------------------------------------ stream files and motia.config

  export interface StreamSubscription {
    groupId: string
    id?: string
  }
  /** What `streamAuth.authenticate` returned for the connection. */
  export interface StreamAuthContext {
    [key: string]: unknown
  }
  export interface StreamConfig {
    name: string
    schema: StepSchemaInput
    baseConfig: { storageType: 'default' }
    canAccess?(subscription: StreamSubscription, authContext: StreamAuthContext | null): boolean | Promise<boolean>
  }
  export interface StreamAuthRequest {
    headers: Record<string, string | string[] | undefined>
    url: string
  }
  export interface Config {
    streamAuth?: {
      contextSchema?: StepSchemaInput
      authenticate(request: StreamAuthRequest): unknown
    }
    /** Motia plugins, adapters, redis, app: accepted and not used by stephost. */
    [key: string]: unknown
  }
  export function defineConfig<T extends Config>(config: T): T
  export const config: typeof defineConfig
"""
