import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { z as z3 } from 'zod/v3';
import { serialiseConfig } from '../src/config.js';
import { StepError } from '../src/errors.js';
import { createSchemaConverter } from '../src/schema.js';
import { SDK_ROOT } from './helpers/paths.js';

const converter = createSchemaConverter(SDK_ROOT);
const serialise = (config: Record<string, unknown>) => serialiseConfig(config, converter, 'steps/x.step.ts');

describe('config serialisation', () => {
  test('middleware becomes a count and leaves the JSON', () => {
    const config = {
      type: 'api',
      name: 'A',
      path: '/a',
      method: 'GET',
      emits: [],
      middleware: [async () => undefined, async () => undefined],
    };
    const out = serialise(config);
    assert.equal(out.middlewareCount, 2);
    assert.equal('middleware' in out.json, false);
    assert.deepEqual(JSON.parse(out.bytes.toString('utf8')), out.json);
    // The user's object is not modified.
    assert.equal(config.middleware.length, 2);
  });

  test('functions are removed at any depth, including inside arrays', () => {
    const out = serialise({
      type: 'event',
      name: 'E',
      subscribes: ['a'],
      emits: ['b', () => 'c'],
      canAccess: () => true,
      infrastructure: { handler: { timeout: 5, pick: () => 1 } },
    });
    assert.equal(out.middlewareCount, 0);
    assert.deepEqual(out.json, { type: 'event', name: 'E', subscribes: ['a'], emits: ['b'], infrastructure: { handler: { timeout: 5 } } });
  });

  test('bodySchema, every responseSchema value and input become JSON Schema', () => {
    const out = serialise({
      type: 'api',
      name: 'A',
      path: '/a',
      method: 'POST',
      emits: [],
      bodySchema: z.object({ a: z.string() }),
      responseSchema: { 200: z3.object({ ok: z3.boolean() }), 404: { type: 'object' } },
    });
    const json = out.json as Record<string, any>;
    assert.deepEqual(json['bodySchema'].required, ['a']);
    assert.equal(json['responseSchema']['200'].properties.ok.type, 'boolean');
    assert.deepEqual(json['responseSchema']['404'], { type: 'object' });

    const event = serialise({ type: 'event', name: 'E', subscribes: ['t'], emits: [], input: z.object({ n: z.number() }) });
    assert.equal((event.json as Record<string, any>)['input'].properties.n.type, 'number');
  });

  test('a config JSON cannot hold is a LOAD_ERROR naming the file', () => {
    const cyclic: Record<string, unknown> = { type: 'event', name: 'E' };
    cyclic['self'] = cyclic;
    assert.throws(() => serialise(cyclic), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.equal(err.code, 'LOAD_ERROR');
      assert.match(err.message, /steps\/x\.step\.ts/);
      return true;
    });
    assert.throws(() => serialise({ type: 'event', name: 'E', big: 1n }), /LOAD_ERROR|cannot be serialised/);
  });

  test('a middleware entry that is not a function is a LOAD_ERROR', () => {
    assert.throws(
      () => serialise({ type: 'api', name: 'A', middleware: ['auth'] }),
      (err: unknown) => err instanceof StepError && err.code === 'LOAD_ERROR' && /middleware\[0\]/.test(err.message),
    );
  });

  test('a non-array middleware stays for the host to report', () => {
    const out = serialise({ type: 'api', name: 'A', middleware: 'auth' });
    assert.equal(out.json['middleware'], 'auth');
    assert.equal(out.middlewareCount, 0);
  });
});
