import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createContext, encodeLogFields, type ContextTransport } from '../src/context.js';
import { StepError } from '../src/errors.js';
import type { CtxOp } from '../src/protocol.js';

/** Records calls as plain JSON (bytes fields decoded) and answers with `reply`. */
function recorder(reply: (op: CtxOp) => unknown = () => null) {
  const calls: unknown[] = [];
  const logs: Array<{ level: string; msg: string; fields: unknown }> = [];
  const transport: ContextTransport = {
    call: async (op) => {
      calls.push(
        JSON.parse(JSON.stringify(op, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('utf8') : v))),
      );
      return reply(op);
    },
    log: (level, msg, fields) => logs.push({ level, msg, fields: fields ? JSON.parse(fields) : null }),
  };
  const info = { traceId: 'T1', flows: ['f'], attempt: 2, eventId: 'E1' };
  return { calls, logs, ctx: createContext(info, transport, ['todos']) };
}

describe('ctx', () => {
  test('exposes the invocation fields', () => {
    const { ctx } = recorder();
    assert.equal(ctx.traceId, 'T1');
    assert.deepEqual(ctx.flows, ['f']);
    assert.equal(ctx.attempt, 2);
    assert.equal(ctx.eventId, 'E1');
  });

  test('emit sends topic, JSON data and message group', async () => {
    const { ctx, calls } = recorder();
    assert.equal(await ctx.emit({ topic: 't', data: { a: 1 }, messageGroupId: 'g' }), undefined);
    await ctx.emit({ topic: 'u', data: 0 });
    assert.deepEqual(calls, [
      { emit: { topic: 't', data_json: '{"a":1}', message_group_id: 'g' } },
      { emit: { topic: 'u', data_json: '0', message_group_id: '' } },
    ]);
  });

  test('state operations map to StateCall', async () => {
    const { ctx, calls } = recorder((op) => ('state' in op && op.state.op === 'STATE_OP_GET' ? false : null));
    assert.equal(await ctx.state.get('g', 'k'), false); // falsy values are values
    await ctx.state.set('g', 'k', { v: 1 });
    await ctx.state.delete('g', 'k');
    assert.deepEqual(await ctx.state.getGroup('g'), []);
    assert.equal(await ctx.state.clear('g'), undefined);
    assert.deepEqual(
      calls.map((c) => (c as { state: Record<string, unknown> }).state),
      [
        { op: 'STATE_OP_GET', group: 'g', key: 'k', value_json: '' },
        { op: 'STATE_OP_SET', group: 'g', key: 'k', value_json: '{"v":1}' },
        { op: 'STATE_OP_DELETE', group: 'g', key: 'k', value_json: '' },
        { op: 'STATE_OP_GET_GROUP', group: 'g', key: '', value_json: '' },
        { op: 'STATE_OP_CLEAR', group: 'g', key: '', value_json: '' },
      ],
    );
  });

  test('a missing group is refused before anything is sent', async () => {
    const { ctx, calls } = recorder();
    await assert.rejects(ctx.state.get(undefined as unknown as string, 'k'), (err: unknown) => {
      return err instanceof StepError && err.code === 'INVALID_ARGUMENT';
    });
    assert.equal(calls.length, 0);
  });

  test('streams.<name> maps to StreamCall, for any name', async () => {
    const { ctx, calls } = recorder();
    await ctx.streams['todos']!.set('g1', 'i1', { title: 'x' });
    await ctx.streams['todos']!.get('g1', 'i1');
    await ctx.streams['todos']!.delete('g1', 'i1');
    await ctx.streams['todos']!.getGroup('g1');
    await ctx.streams['todos']!.send({ groupId: 'g1' }, { type: 'ping', data: { n: 1 } });
    await ctx.streams['other']!.send({ groupId: 'g2', id: 'i2' }, { type: 'pong' });
    assert.deepEqual(
      calls.map((c) => (c as { stream: Record<string, unknown> }).stream),
      [
        { op: 'STREAM_OP_SET', stream: 'todos', group_id: 'g1', id: 'i1', data_json: '{"title":"x"}' },
        { op: 'STREAM_OP_GET', stream: 'todos', group_id: 'g1', id: 'i1', data_json: '' },
        { op: 'STREAM_OP_DELETE', stream: 'todos', group_id: 'g1', id: 'i1', data_json: '' },
        { op: 'STREAM_OP_GET_GROUP', stream: 'todos', group_id: 'g1', id: '', data_json: '' },
        { op: 'STREAM_OP_SEND', stream: 'todos', group_id: 'g1', id: '', data_json: '{"type":"ping","data":{"n":1}}' },
        { op: 'STREAM_OP_SEND', stream: 'other', group_id: 'g2', id: 'i2', data_json: '{"type":"pong","data":null}' },
      ],
    );
    assert.deepEqual(Object.keys(ctx.streams), ['todos']);
    assert.equal('todos' in ctx.streams, true);
    // Not a thenable, so `await ctx.streams` is harmless.
    assert.equal((ctx.streams as unknown as { then?: unknown }).then, undefined);
  });

  test('errors from the host reach the handler as StepError with the code', async () => {
    const transport: ContextTransport = {
      call: async () => {
        throw new StepError('EMIT_NOT_DECLARED', 'step A may not emit b');
      },
      log: () => {},
    };
    const ctx = createContext({ traceId: '', flows: [], attempt: 1, eventId: '' }, transport, []);
    await assert.rejects(ctx.emit({ topic: 'b', data: 1 }), (err: unknown) => {
      return err instanceof StepError && err.code === 'EMIT_NOT_DECLARED' && err.message === 'step A may not emit b';
    });
  });

  test('logger sends levels, messages and fields; an Error under `error` is flattened', () => {
    const { ctx, logs } = recorder();
    ctx.logger.info('hello', { user: 'u' });
    ctx.logger.warn('careful');
    ctx.logger.debug('details', { n: 1 });
    const boom = new RangeError('too far');
    ctx.logger.error('failed', { error: boom, id: 3 });
    assert.deepEqual(logs.slice(0, 3), [
      { level: 'info', msg: 'hello', fields: { user: 'u' } },
      { level: 'warn', msg: 'careful', fields: null },
      { level: 'debug', msg: 'details', fields: { n: 1 } },
    ]);
    const error = logs[3]!;
    assert.equal(error.level, 'error');
    const fields = error.fields as { id: number; error: { message: string; name: string; stack: string } };
    assert.equal(fields.id, 3);
    assert.equal(fields.error.message, 'too far');
    assert.equal(fields.error.name, 'RangeError');
    assert.match(fields.error.stack, /RangeError: too far/);
  });

  test('log fields never throw: cycles, BigInts and non-objects', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    assert.deepEqual(JSON.parse(encodeLogFields(cyclic)), { a: 1, self: '[Circular]' });
    assert.deepEqual(JSON.parse(encodeLogFields({ n: 10n })), { n: '10' });
    assert.deepEqual(JSON.parse(encodeLogFields('text')), { data: 'text' });
    const shared = { x: 1 };
    assert.deepEqual(JSON.parse(encodeLogFields({ a: shared, b: shared })), { a: { x: 1 }, b: { x: 1 } });
    assert.equal(encodeLogFields(undefined), '');
  });
});
