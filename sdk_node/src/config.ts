// config -> the JSON object sent in Hello.config_json. The host never runs user
// code, so everything it needs from the config must survive JSON: schemas become
// JSON Schema, functions go (middleware is reported as a count instead).

import { LOAD_ERROR, StepError } from './errors.js';
import type { SchemaConverter, SchemaIO } from './schema.js';

export type StepConfig = Record<string, unknown>;

export interface SerialisedConfig {
  json: Record<string, unknown>;
  /** UTF-8 JSON bytes of `json`, ready for Hello.config_json. */
  bytes: Buffer;
  middlewareCount: number;
}

/** Keys holding one schema, with the side of the schema the host validates. */
const SCHEMA_KEYS: ReadonlyArray<readonly [string, SchemaIO]> = [
  ['bodySchema', 'input'],
  ['input', 'input'],
  // Stream files (`*.stream.ts`) carry their item schema here.
  ['schema', 'output'],
];

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Drops functions at any depth. JSON.stringify would turn a function in an array
 * into `null`, which the host's strict config check would then report as a
 * wrong type rather than ignore. A cycle is reported with its path, since
 * recursion would otherwise end in a stack overflow that names nothing.
 */
function withoutFunctions(value: unknown, file: string, path = 'config', ancestors: object[] = []): unknown {
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  const plain = Array.isArray(value) || proto === Object.prototype || proto === null;
  if (!plain) return value; // Dates, class instances: JSON.stringify knows what to do
  if (ancestors.includes(value)) {
    throw new StepError(LOAD_ERROR, `${file}: config cannot be serialised to JSON: ${path} refers back to itself`);
  }
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    return value
      .filter((item) => typeof item !== 'function')
      .map((item: unknown, index) => withoutFunctions(item, file, `${path}[${index}]`, inner));
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'function') out[key] = withoutFunctions(item, file, `${path}.${key}`, inner);
  }
  return out;
}

/** The middleware functions, in the order they run. Throws on a non-function entry. */
export function middlewareOf(config: StepConfig, file: string): Array<(...args: unknown[]) => unknown> {
  const list = config['middleware'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return [];
  return list.map((entry: unknown, index) => {
    if (typeof entry !== 'function') {
      throw new StepError(LOAD_ERROR, `${file}: config.middleware[${index}] is not a function`);
    }
    return entry as (...args: unknown[]) => unknown;
  });
}

export function serialiseConfig(config: StepConfig, converter: SchemaConverter, file: string): SerialisedConfig {
  const out: Record<string, unknown> = { ...config };
  let middlewareCount = 0;

  // A non-array `middleware` stays in the JSON so the host's strict check names
  // it; an array is replaced by its length.
  if (Array.isArray(out['middleware'])) {
    middlewareCount = middlewareOf(config, file).length;
    delete out['middleware'];
  }

  for (const [key, io] of SCHEMA_KEYS) {
    if (out[key] === undefined || out[key] === null) continue;
    out[key] = converter.convert(out[key], io, `${file}: config.${key}`);
  }

  const responses = out['responseSchema'];
  if (isPlainRecord(responses)) {
    const converted: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(responses)) {
      converted[status] = converter.convert(schema, 'output', `${file}: config.responseSchema[${status}]`);
    }
    out['responseSchema'] = converted;
  }

  const json = withoutFunctions(out, file) as Record<string, unknown>;
  let text: string;
  try {
    text = JSON.stringify(json);
  } catch (err) {
    throw new StepError(LOAD_ERROR, `${file}: config cannot be serialised to JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { json: JSON.parse(text) as Record<string, unknown>, bytes: Buffer.from(text, 'utf8'), middlewareCount };
}
