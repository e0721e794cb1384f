// The `ctx` a handler gets. Every operation but logging is a CtxCall the host
// answers; this module only shapes arguments into calls and results back.

import { INVALID_ARGUMENT, StepError } from './errors.js';
import { encodeJson, flattenError, safeStringify } from './json.js';
import type { CtxOp, LogLevel, StateOp, StreamOp } from './protocol.js';

export interface ContextTransport {
  /** Sends one ctx call for this invocation; resolves with the decoded reply value. */
  call(op: CtxOp): Promise<unknown>;
  /** Fire-and-forget log record. `fieldsJson` is a JSON object or empty. */
  log(level: LogLevel, msg: string, fieldsJson: string): void;
}

export interface InvocationInfo {
  traceId: string;
  flows: string[];
  attempt: number;
  eventId: string;
}

export type LogFn = (msg: unknown, fields?: unknown) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface EmitEvent {
  topic: string;
  data?: unknown;
  messageGroupId?: string;
}

export interface StateApi {
  get<T = unknown>(group: string, key: string): Promise<T | null>;
  set<T = unknown>(group: string, key: string, value: T): Promise<T>;
  delete<T = unknown>(group: string, key: string): Promise<T | null>;
  getGroup<T = unknown>(group: string): Promise<T[]>;
  clear(group: string): Promise<void>;
}

export interface StreamChannel {
  groupId: string;
  id?: string;
}

export interface StreamEvent {
  type: string;
  data?: unknown;
}

export interface StreamApi {
  get<T = unknown>(groupId: string, id: string): Promise<T | null>;
  set<T = unknown>(groupId: string, id: string, data: T): Promise<T & { id: string }>;
  delete<T = unknown>(groupId: string, id: string): Promise<T | null>;
  getGroup<T = unknown>(groupId: string): Promise<T[]>;
  send(channel: StreamChannel, event: StreamEvent): Promise<void>;
}

export interface StepContext extends InvocationInfo {
  /**
   * Aborted when the host cancels the invocation (its deadline passed, its caller went away,
   * the worker drains). Pass it to whatever can stop early (`fetch`, `timers/promises`): a
   * handler that cannot be stopped keeps the invocation open until the host kills the worker.
   */
  signal: AbortSignal;
  logger: Logger;
  emit(event: EmitEvent): Promise<void>;
  state: StateApi;
  streams: Record<string, StreamApi>;
}

const EMPTY = Buffer.alloc(0);

/**
 * Groups, keys and ids are strings on the wire. Numbers are accepted (JS code
 * often uses numeric ids); anything else is a bug in the caller, reported where
 * it happens instead of as a confusing host error.
 */
function requireString(value: unknown, what: string, allowEmpty = false): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw new StepError(INVALID_ARGUMENT, `${what} must be a ${allowEmpty ? '' : 'non-empty '}string, got ${safeStringify(value)}`);
  }
  return value;
}

/** Log fields as a JSON object: an Error under `error` is flattened (Motia does the same). */
export function encodeLogFields(fields: unknown): string {
  if (fields === undefined || fields === null) return '';
  if (fields instanceof Error) return safeStringify({ error: flattenError(fields) });
  if (typeof fields !== 'object' || Array.isArray(fields)) return safeStringify({ data: fields });
  const record = fields as Record<string, unknown>;
  const error = record['error'];
  return safeStringify(error instanceof Error ? { ...record, error: flattenError(error) } : record);
}

function createLogger(transport: ContextTransport): Logger {
  const at =
    (level: LogLevel): LogFn =>
    (msg, fields) =>
      transport.log(level, typeof msg === 'string' ? msg : safeStringify(msg), encodeLogFields(fields));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function createState(transport: ContextTransport): StateApi {
  const state = (op: StateOp, group: unknown, key: unknown, value?: unknown): Promise<unknown> =>
    transport.call({
      state: {
        op,
        group: requireString(group, 'state group'),
        key: op === 'STATE_OP_GET_GROUP' || op === 'STATE_OP_CLEAR' ? '' : requireString(key, 'state key', true),
        value_json: op === 'STATE_OP_SET' ? encodeJson(value) : EMPTY,
      },
    });
  return {
    get: async (group, key) => (await state('STATE_OP_GET', group, key)) as never,
    set: async (group, key, value) => (await state('STATE_OP_SET', group, key, value)) as never,
    delete: async (group, key) => (await state('STATE_OP_DELETE', group, key)) as never,
    getGroup: async (group) => ((await state('STATE_OP_GET_GROUP', group, '')) ?? []) as never,
    clear: async (group) => {
      await state('STATE_OP_CLEAR', group, '');
    },
  };
}

function createStream(transport: ContextTransport, name: string): StreamApi {
  const stream = (op: StreamOp, groupId: unknown, id: string, data: Buffer): Promise<unknown> =>
    transport.call({
      stream: { op, stream: name, group_id: requireString(groupId, `streams.${name} groupId`), id, data_json: data },
    });
  return {
    get: async (groupId, id) => (await stream('STREAM_OP_GET', groupId, requireString(id, `streams.${name} id`), EMPTY)) as never,
    set: async (groupId, id, data) =>
      (await stream('STREAM_OP_SET', groupId, requireString(id, `streams.${name} id`), encodeJson(data))) as never,
    delete: async (groupId, id) =>
      (await stream('STREAM_OP_DELETE', groupId, requireString(id, `streams.${name} id`), EMPTY)) as never,
    getGroup: async (groupId) => ((await stream('STREAM_OP_GET_GROUP', groupId, '', EMPTY)) ?? []) as never,
    send: async (channel, event) => {
      if (channel === null || typeof channel !== 'object') {
        throw new StepError(INVALID_ARGUMENT, `streams.${name}.send needs a channel {groupId, id?}`);
      }
      if (event === null || typeof event !== 'object') {
        throw new StepError(INVALID_ARGUMENT, `streams.${name}.send needs an event {type, data}`);
      }
      const id = channel.id === undefined || channel.id === null ? '' : requireString(channel.id, `streams.${name} id`);
      const type = requireString(event.type, `streams.${name}.send event type`);
      await stream('STREAM_OP_SEND', channel.groupId, id, encodeJson({ type, data: event.data ?? null }));
    },
  };
}

/**
 * `ctx.streams.<name>` works for any name: the host owns the list and answers
 * STREAM_NOT_FOUND for a wrong one, which says more than "cannot read properties
 * of undefined". The known names (from Welcome) are what enumeration shows.
 */
function createStreams(transport: ContextTransport, knownNames: readonly string[]): Record<string, StreamApi> {
  const cache = new Map<string, StreamApi>();
  const get = (name: string): StreamApi => {
    let api = cache.get(name);
    if (!api) {
      api = createStream(transport, name);
      cache.set(name, api);
    }
    return api;
  };
  return new Proxy({} as Record<string, StreamApi>, {
    get(_target, prop) {
      // `then` must stay undefined or `await ctx.streams` would treat it as a promise.
      if (typeof prop !== 'string' || prop === 'then' || prop === 'toJSON') return undefined;
      return get(prop);
    },
    has: (_target, prop) => typeof prop === 'string' && knownNames.includes(prop),
    ownKeys: () => [...knownNames],
    getOwnPropertyDescriptor: (_target, prop) =>
      typeof prop === 'string' && knownNames.includes(prop)
        ? { configurable: true, enumerable: true, writable: false, value: get(prop) }
        : undefined,
  });
}

export function createContext(
  info: InvocationInfo,
  transport: ContextTransport,
  streamNames: readonly string[],
  signal: AbortSignal = new AbortController().signal,
): StepContext {
  return {
    signal,
    traceId: info.traceId,
    flows: info.flows,
    attempt: info.attempt,
    eventId: info.eventId,
    logger: createLogger(transport),
    emit: async (event) => {
      if (event === null || typeof event !== 'object') {
        throw new StepError(INVALID_ARGUMENT, 'emit needs an event {topic, data, messageGroupId?}');
      }
      const groupId = event.messageGroupId;
      await transport.call({
        emit: {
          topic: requireString(event.topic, 'emit topic'),
          data_json: encodeJson(event.data ?? null),
          message_group_id: groupId === undefined || groupId === null ? '' : requireString(groupId, 'emit messageGroupId'),
        },
      });
    },
    state: createState(transport),
    streams: createStreams(transport, streamNames),
  };
}
