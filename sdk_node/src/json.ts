// Every user value crosses the wire as UTF-8 JSON bytes (see the proto header).

/**
 * Strict encoding for values the host must get exactly (ctx call arguments,
 * handler results). `undefined` becomes `null` because the wire has no
 * "absent" for a JSON field; anything JSON cannot hold (a cycle, a BigInt)
 * throws, so the user sees the problem in the handler instead of losing data.
 */
export function encodeJson(value: unknown): Buffer {
  const text = JSON.stringify(value);
  return Buffer.from(text === undefined ? 'null' : text, 'utf8');
}

/** An empty `bytes` field means "nothing": the proto default, read as null. */
export function decodeJson(bytes: Uint8Array | null | undefined): unknown {
  if (!bytes || bytes.length === 0) return null;
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as unknown;
}

/** Flattens an Error to the fields a log reader needs; JSON.stringify drops them all. */
export function flattenError(error: Error): { message: string; stack: string | undefined; name: string } {
  return { message: error.message, stack: error.stack, name: error.name };
}

/**
 * Lenient encoding for log fields: a log call must never throw in the middle of
 * a handler, so cycles become "[Circular]", BigInts strings and nested Errors
 * flattened.
 */
export function safeStringify(value: unknown): string {
  // Ancestors, not "seen": an object referenced twice side by side is not a cycle.
  const ancestors: unknown[] = [];
  try {
    const text = JSON.stringify(value, function (this: unknown, _key: string, v: unknown): unknown {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Error) v = flattenError(v);
      if (v === null || typeof v !== 'object') return v;
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
      if (ancestors.includes(v)) return '[Circular]';
      ancestors.push(v);
      return v;
    });
    return text === undefined ? 'null' : text;
  } catch (err) {
    return JSON.stringify({ unserialisable: String(err) });
  }
}
