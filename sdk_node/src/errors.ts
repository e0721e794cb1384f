// The stable error codes of docs/protocol.md section 5. Every language's SDK and
// the host use the same strings, so they are constants here rather than enums:
// they travel verbatim in `Error.code`.

export const HANDLER_ERROR = 'HANDLER_ERROR';
export const CANCELLED = 'CANCELLED';
export const LOAD_ERROR = 'LOAD_ERROR';
export const CONFIG_MISSING = 'CONFIG_MISSING';
export const HANDLER_MISSING = 'HANDLER_MISSING';
export const INVALID_RESPONSE = 'INVALID_RESPONSE';
export const UNKNOWN_INVOCATION = 'UNKNOWN_INVOCATION';
export const EMIT_NOT_DECLARED = 'EMIT_NOT_DECLARED';
export const INVALID_EMIT_DATA = 'INVALID_EMIT_DATA';
export const STREAM_NOT_FOUND = 'STREAM_NOT_FOUND';
export const INVALID_ARGUMENT = 'INVALID_ARGUMENT';
export const WORKER_CRASHED = 'WORKER_CRASHED';
export const TIMEOUT = 'TIMEOUT';
export const STORAGE_UNAVAILABLE = 'STORAGE_UNAVAILABLE';
export const INTERNAL = 'INTERNAL';

export const ERROR_CODES = [
  HANDLER_ERROR,
  CANCELLED,
  LOAD_ERROR,
  CONFIG_MISSING,
  HANDLER_MISSING,
  INVALID_RESPONSE,
  UNKNOWN_INVOCATION,
  EMIT_NOT_DECLARED,
  INVALID_EMIT_DATA,
  STREAM_NOT_FOUND,
  INVALID_ARGUMENT,
  WORKER_CRASHED,
  TIMEOUT,
  STORAGE_UNAVAILABLE,
  INTERNAL,
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The wire shape of `stephost.v1.Error`. */
export interface WireError {
  code: string;
  message: string;
  stack: string;
  name: string;
}

/**
 * An error carrying a protocol code. Handlers see it when the host refuses a ctx
 * call (e.g. `EMIT_NOT_DECLARED`), so user code can branch on `err.code` the same
 * way in every language.
 */
export class StepError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StepError';
    this.code = code;
  }
}

/**
 * Turns anything a handler may throw into the wire error. Non-Error throwables
 * (`throw "boom"`, `throw {x: 1}`) are common in JS, so they must not crash the
 * worker or lose their text.
 */
export function toWireError(code: string, thrown: unknown, prefix?: string): WireError {
  const withPrefix = (message: string): string => (prefix ? `${prefix}: ${message}` : message);
  if (thrown instanceof Error) {
    return {
      code,
      message: withPrefix(thrown.message),
      stack: thrown.stack ?? '',
      name: thrown.name || thrown.constructor.name || 'Error',
    };
  }
  let text: string;
  try {
    text = typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  const name =
    thrown !== null && typeof thrown === 'object' ? (thrown.constructor?.name ?? 'Object') : typeof thrown;
  return { code, message: withPrefix(text), stack: '', name };
}

export function wireError(code: string, message: string, name = 'StepError'): WireError {
  return { code, message, stack: '', name };
}
