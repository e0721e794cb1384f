import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { z as z4 } from 'zod';
import { z as z3 } from 'zod/v3';
import * as zm from 'zod/mini';
import { createSchemaConverter, isZodV3, isZodV4 } from '../src/schema.js';
import { FIXTURES, SDK_ROOT } from './helpers/paths.js';

const DRAFT_7 = 'http://json-schema.org/draft-07/schema#';

function converter() {
  return createSchemaConverter(SDK_ROOT);
}

describe('schema conversion', () => {
  test('detects zod versions', () => {
    assert.equal(isZodV4(z4.string()), true);
    assert.equal(isZodV3(z4.string()), false);
    assert.equal(isZodV3(z3.string()), true);
    assert.equal(isZodV4(z3.string()), false);
    assert.equal(isZodV4(zm.string()), true);
    assert.equal(isZodV4({ type: 'string' }), false);
  });

  test('zod v4 becomes draft-7 JSON Schema', () => {
    const { convert } = converter();
    const schema = z4.object({ name: z4.string().describe('who'), tags: z4.array(z4.string()), age: z4.number().optional() });
    const json = convert(schema, 'input', 'body') as Record<string, any>;
    assert.equal(json['$schema'], DRAFT_7);
    assert.equal(json['type'], 'object');
    assert.deepEqual(json['required'], ['name', 'tags']);
    assert.deepEqual(json['properties'].name, { type: 'string', description: 'who' });
    assert.deepEqual(json['properties'].tags, { type: 'array', items: { type: 'string' } });
  });

  test('zod v4: input side lets defaulted fields be omitted, output side requires them', () => {
    const { convert } = converter();
    const schema = z4.object({ id: z4.string(), role: z4.string().default('user') });
    assert.deepEqual((convert(schema, 'input', 'x') as Record<string, unknown>)['required'], ['id']);
    assert.deepEqual((convert(schema, 'output', 'x') as Record<string, unknown>)['required'], ['id', 'role']);
  });

  test('zod v4 types JSON cannot express do not fail the step', () => {
    const { convert } = converter();
    const json = convert(z4.object({ at: z4.date() }), 'input', 'x') as Record<string, any>;
    assert.deepEqual(json['properties'].at, {});
  });

  test('zod v4 mini schemas convert too', () => {
    const { convert } = converter();
    const json = convert(zm.object({ a: zm.string() }), 'input', 'x') as Record<string, any>;
    assert.deepEqual(json['required'], ['a']);
  });

  test('zod v3 goes through zod-to-json-schema', () => {
    const { convert } = converter();
    const schema = z3.object({ name: z3.string(), count: z3.number().int().default(1), kind: z3.enum(['a', 'b']) });
    const json = convert(schema, 'input', 'x') as Record<string, any>;
    assert.equal(json['$schema'], DRAFT_7);
    assert.deepEqual(json['required'], ['name', 'kind']);
    assert.deepEqual(json['properties'].kind, { type: 'string', enum: ['a', 'b'] });
    assert.deepEqual(json['properties'].count, { type: 'integer', default: 1 });
    // z.object() strips unknown keys; it does not reject them on input.
    assert.equal(json['additionalProperties'], true);
    const strict = convert(z3.object({ a: z3.string() }).strict(), 'input', 'x') as Record<string, unknown>;
    assert.equal(strict['additionalProperties'], false);
  });

  test('JSON Schema objects and booleans pass through unchanged', () => {
    const { convert } = converter();
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    assert.equal(convert(schema, 'input', 'x'), schema);
    assert.equal(convert(true, 'input', 'x'), true);
  });

  test('an unknown kind of schema is a LOAD_ERROR naming where it was and what it got', () => {
    const { convert } = converter();
    assert.throws(
      () => convert(new Map(), 'input', 'steps/a.step.ts: config.bodySchema'),
      (err: any) =>
        err.code === 'LOAD_ERROR' && /steps\/a\.step\.ts: config\.bodySchema: .*class Map/.test(err.message),
    );
    assert.throws(() => convert(42, 'input', 'x: config.bodySchema'), /x: config\.bodySchema: .*number 42/);
  });

  test("the project's own zod converts v4 schemas when it has toJSONSchema", () => {
    const { convert } = createSchemaConverter(join(FIXTURES, 'own-zod'));
    const json = convert(z4.string(), 'output', 'x') as Record<string, any>;
    assert.equal(json['producedBy'], 'project-zod');
    assert.equal(json['params'].target, 'draft-7');
    assert.equal(json['params'].io, 'output');
  });

  test("without zod in the project, the SDK's zod is used", () => {
    // Outside the SDK's tree, so resolution cannot find the SDK's zod by walking up.
    const project = mkdtempSync(join(tmpdir(), 'stephost-nozod-'));
    try {
      const { convert } = createSchemaConverter(project);
      assert.equal((convert(z4.string(), 'input', 'x') as Record<string, unknown>)['type'], 'string');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
