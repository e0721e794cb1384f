// An API handler's return value -> ApiResponse. The body kind travels with the
// bytes so the host can pick the content type (JSON, text, raw) without guessing.

import { INVALID_RESPONSE, type WireError } from './errors.js';
import type { ApiResponse, BodyKind, Header, Ok } from './protocol.js';

export type ResponseOutcome = { ok: Ok } | { error: WireError };

function invalid(message: string): ResponseOutcome {
  return { error: { code: INVALID_RESPONSE, message, stack: '', name: 'InvalidResponse' } };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Buffer.isBuffer(value)) return 'Buffer';
  return typeof value;
}

function toStatus(value: unknown): number | undefined {
  if (value === undefined || value === null) return 200;
  // Express accepted numeric strings, and Motia handlers sometimes return them.
  const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) return status;
  return undefined;
}

function headerValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toUTCString();
  return String(value);
}

/** Headers as name/value pairs; array values become repeated headers (set-cookie). */
export function toHeaders(headers: unknown): Header[] | string {
  if (headers === undefined || headers === null) return [];
  const out: Header[] = [];
  const push = (name: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) push(name, item);
      return;
    }
    out.push({ name, value: headerValue(value) });
  };
  if (headers instanceof Map || (typeof Headers !== 'undefined' && headers instanceof Headers)) {
    const entries = headers as Map<unknown, unknown> | Headers;
    entries.forEach((value: unknown, name: unknown) => push(String(name), value));
    return out;
  }
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    return `headers must be an object of name -> value, got ${describeType(headers)}`;
  }
  for (const [name, value] of Object.entries(headers)) push(name, value);
  return out;
}

function toBody(result: Record<string, unknown>): { kind: BodyKind; body: Buffer } | string {
  // "No body key" and "body: undefined" are the same thing to a JS author.
  if (!('body' in result) || result['body'] === undefined) return { kind: 'BODY_KIND_EMPTY', body: Buffer.alloc(0) };
  const body = result['body'];
  if (Buffer.isBuffer(body)) return { kind: 'BODY_KIND_BYTES', body };
  if (body instanceof Uint8Array) {
    return { kind: 'BODY_KIND_BYTES', body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  }
  if (body instanceof ArrayBuffer) return { kind: 'BODY_KIND_BYTES', body: Buffer.from(body) };
  if (typeof body === 'string') return { kind: 'BODY_KIND_TEXT', body: Buffer.from(body, 'utf8') };
  try {
    return { kind: 'BODY_KIND_JSON', body: Buffer.from(JSON.stringify(body) ?? 'null', 'utf8') };
  } catch (err) {
    return `body cannot be serialised to JSON: ${(err as Error).message}`;
  }
}

/**
 * null/undefined -> Ok without a response (the host answers 500 naming that);
 * anything that is not a plain response object -> INVALID_RESPONSE.
 */
export function toApiResponse(result: unknown): ResponseOutcome {
  if (result === undefined || result === null) return { ok: {} };
  if (typeof result !== 'object' || Array.isArray(result) || Buffer.isBuffer(result) || result instanceof Uint8Array) {
    return invalid(`the handler returned ${describeType(result)}; an API handler must return {status, body, headers?}`);
  }
  const record = result as Record<string, unknown>;
  const status = toStatus(record['status']);
  if (status === undefined) {
    return invalid(`status must be an integer from 100 to 599, got ${JSON.stringify(record['status']) ?? describeType(record['status'])}`);
  }
  const headers = toHeaders(record['headers']);
  if (typeof headers === 'string') return invalid(headers);
  const body = toBody(record);
  if (typeof body === 'string') return invalid(body);
  const response: ApiResponse = { status, headers, body_kind: body.kind, body: body.body };
  return { ok: { response } };
}
