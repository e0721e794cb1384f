import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toApiResponse } from '../src/response.js';

function response(result: unknown) {
  const outcome = toApiResponse(result);
  assert.ok('ok' in outcome, `expected ok, got ${JSON.stringify(outcome)}`);
  assert.ok(outcome.ok.response);
  return outcome.ok.response;
}

function invalid(result: unknown): string {
  const outcome = toApiResponse(result);
  assert.ok('error' in outcome, `expected an error, got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.error.code, 'INVALID_RESPONSE');
  return outcome.error.message;
}

describe('response mapping', () => {
  test('a JSON body', () => {
    const r = response({ status: 201, body: { id: 1, tags: ['a'] } });
    assert.equal(r.status, 201);
    assert.equal(r.body_kind, 'BODY_KIND_JSON');
    assert.deepEqual(JSON.parse(r.body.toString()), { id: 1, tags: ['a'] });
  });

  test('JSON bodies include falsy values and null', () => {
    for (const body of [0, false, null, [], {}]) {
      const r = response({ status: 200, body });
      assert.equal(r.body_kind, 'BODY_KIND_JSON');
      assert.deepEqual(JSON.parse(r.body.toString()), body);
    }
  });

  test('a string body is TEXT, even an empty one', () => {
    const r = response({ status: 200, body: 'héllo' });
    assert.equal(r.body_kind, 'BODY_KIND_TEXT');
    assert.equal(r.body.toString('utf8'), 'héllo');
    assert.equal(response({ status: 200, body: '' }).body_kind, 'BODY_KIND_TEXT');
  });

  test('Buffer, Uint8Array and ArrayBuffer bodies are BYTES', () => {
    const bytes = [0, 255, 10, 13];
    assert.deepEqual([...response({ body: Buffer.from(bytes) }).body], bytes);
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    const r = response({ body: view });
    assert.equal(r.body_kind, 'BODY_KIND_BYTES');
    assert.deepEqual([...r.body], [1, 2, 3]);
    assert.deepEqual([...response({ body: new Uint8Array(bytes).buffer }).body], bytes);
  });

  test('no body key, or an undefined body, is EMPTY', () => {
    assert.equal(response({ status: 204 }).body_kind, 'BODY_KIND_EMPTY');
    assert.equal(response({ status: 204, body: undefined }).body.length, 0);
  });

  test('status defaults to 200; numeric strings are accepted; nonsense is refused', () => {
    assert.equal(response({ body: 'x' }).status, 200);
    assert.equal(response({ status: '404', body: 'x' }).status, 404);
    assert.match(invalid({ status: 'teapot' }), /status/);
    assert.match(invalid({ status: 99 }), /status/);
    assert.match(invalid({ status: 200.5 }), /status/);
  });

  test('headers become pairs; arrays repeat the name; null values are skipped', () => {
    const r = response({
      status: 200,
      body: {},
      headers: { 'content-type': 'application/x', 'set-cookie': ['a=1', 'b=2'], 'x-n': 3, 'x-skip': undefined },
    });
    assert.deepEqual(r.headers, [
      { name: 'content-type', value: 'application/x' },
      { name: 'set-cookie', value: 'a=1' },
      { name: 'set-cookie', value: 'b=2' },
      { name: 'x-n', value: '3' },
    ]);
  });

  test('Headers and Map instances work as headers', () => {
    const headers = new Headers({ 'x-a': '1' });
    assert.deepEqual(response({ headers }).headers, [{ name: 'x-a', value: '1' }]);
    assert.deepEqual(response({ headers: new Map([['x-b', '2']]) }).headers, [{ name: 'x-b', value: '2' }]);
  });

  test('headers that are not an object are refused', () => {
    assert.match(invalid({ status: 200, headers: 'x-a: 1' }), /headers/);
  });

  test('null and undefined results are Ok without a response', () => {
    assert.deepEqual(toApiResponse(undefined), { ok: {} });
    assert.deepEqual(toApiResponse(null), { ok: {} });
  });

  test('a result that is not a response object is INVALID_RESPONSE', () => {
    for (const result of ['text', 42, true, [1, 2], Buffer.from('x')]) {
      assert.match(invalid(result), /must return \{status, body, headers\?\}/);
    }
  });

  test('a body JSON cannot hold is INVALID_RESPONSE', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.match(invalid({ status: 200, body: cyclic }), /serialised/);
  });
});
