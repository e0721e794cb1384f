// Schema -> JSON Schema. The host validates request bodies and event data with
// JSON Schema only, so every zod schema is converted here, in the language that
// understands it.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as ZodToJsonSchema from 'zod-to-json-schema';
import type * as ZodCore from 'zod/v4/core';
import { LOAD_ERROR, StepError } from './errors.js';

export type JsonSchema = Record<string, unknown> | boolean;

/**
 * Which side of a transform the schema describes. Request bodies and event
 * inputs are validated *before* the handler sees them, so they use the input
 * shape (a `.default()` field is optional there); responses use the output shape.
 */
export type SchemaIO = 'input' | 'output';

type ToJSONSchema = (schema: unknown, params?: Record<string, unknown>) => unknown;

// The SDK's own converters are required on first use, not imported: most steps
// have no zod schema, and loading zod at start costs every worker ~60 ms of CPU
// and ~10 MiB. (zod keeps its registry on globalThis, so its CommonJS copy reads
// metadata of schemas built with the ES module copy.)
const sdkRequire = createRequire(import.meta.url);
const sdkToJSONSchema = (): ToJSONSchema => (sdkRequire('zod/v4/core') as typeof ZodCore).toJSONSchema as ToJSONSchema;
const zodToJsonSchema = (): typeof ZodToJsonSchema.zodToJsonSchema =>
  (sdkRequire('zod-to-json-schema') as typeof ZodToJsonSchema).zodToJsonSchema;

export interface SchemaConverter {
  /**
   * Returns JSON Schema; throws a LOAD_ERROR StepError naming `where` when `schema` is of
   * no kind we know (docs/protocol.md W-CONFIG-5: the file fails to load, rather than
   * running without the validation its author asked for).
   */
  convert(schema: unknown, io: SchemaIO, where: string): JsonSchema;
}

function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return `${typeof value} ${String(value).slice(0, 40)}`;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return `an object of class ${proto?.constructor?.name ?? 'null-prototype'}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value) || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** zod v4 (classic and mini) keeps everything under `_zod`; v3 has only `_def`. */
export function isZodV4(value: unknown): boolean {
  return isObject(value) && isObject(value['_zod']) && isObject((value['_zod'] as Record<string, unknown>)['def']);
}

export function isZodV3(value: unknown): boolean {
  return (
    isObject(value) &&
    !('_zod' in value) &&
    isObject(value['_def']) &&
    typeof value['safeParse'] === 'function'
  );
}

/**
 * The project's own zod is preferred for v4 schemas: its toJSONSchema matches the
 * internals of the schemas the step built (they change between 4.x releases).
 * `zod` 4 exports toJSONSchema at the root; `zod` 3.25 only under `zod/v4`.
 */
function projectToJSONSchema(projectRoot: string): ToJSONSchema | undefined {
  let req: NodeJS.Require;
  try {
    req = createRequire(join(projectRoot, 'package.json'));
  } catch {
    return undefined;
  }
  for (const specifier of ['zod', 'zod/v4', 'zod/v4/core']) {
    try {
      const mod = req(specifier) as Record<string, unknown>;
      const fn = mod['toJSONSchema'];
      if (typeof fn === 'function') return fn as ToJSONSchema;
    } catch {
      // Not installed, or a zod too old to have this entry: try the next one.
    }
  }
  return undefined;
}

export function createSchemaConverter(projectRoot: string): SchemaConverter {
  let v4: ToJSONSchema | undefined;
  const zodV4 = (): ToJSONSchema => (v4 ??= projectToJSONSchema(projectRoot) ?? sdkToJSONSchema());

  const convert = (schema: unknown, io: SchemaIO, where: string): JsonSchema => {
    if (typeof schema === 'boolean') return schema; // `true`/`false` are valid JSON Schemas
    if (isZodV4(schema)) {
      // Types JSON cannot express (z.date(), transforms) become `{}` rather than
      // failing the whole step: the handler still validates them itself.
      return zodV4()(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as JsonSchema;
    }
    if (isZodV3(schema)) {
      // zod-to-json-schema reads `_def` structurally, so any zod 3 copy works.
      // A plain z.object() strips unknown keys rather than rejecting them, so on
      // the input side only .strict() objects may forbid extra properties (this
      // is also what zod 4's toJSONSchema does with io: 'input').
      const toJson = zodToJsonSchema();
      return toJson(schema as Parameters<typeof toJson>[0], {
        target: 'jsonSchema7',
        pipeStrategy: io,
        effectStrategy: 'input',
        removeAdditionalStrategy: io === 'input' ? 'strict' : 'passthrough',
      }) as JsonSchema;
    }
    if (isPlainObject(schema)) return schema;
    if (isObject(schema)) {
      // Other Standard Schema libraries: the JSON Schema extension, then Motia's toJSON() fallback.
      const standard = schema['~standard'];
      if (isObject(standard) && isObject(standard['jsonSchema'])) {
        const generate = (standard['jsonSchema'] as Record<string, unknown>)[io];
        if (typeof generate === 'function') {
          return (generate as (o: { target: string }) => JsonSchema)({ target: 'draft-07' });
        }
      }
      if (typeof schema['toJSON'] === 'function') {
        const json = (schema['toJSON'] as () => unknown)();
        if (isPlainObject(json) || typeof json === 'boolean') return json;
      }
    }
    throw new StepError(
      LOAD_ERROR,
      `${where}: not a zod schema, a Standard Schema with JSON Schema, nor a JSON Schema object (got ${describeValue(schema)})`,
    );
  };
  return { convert };
}
