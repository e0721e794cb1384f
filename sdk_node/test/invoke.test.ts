import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { invokeHandler, preflight, type InvokeTarget } from '../src/invoke.js';
import { toOutcome } from '../src/runtime.js';

const stream = (canAccess?: InvokeTarget['canAccess']): InvokeTarget => ({
  handler: undefined,
  middleware: [],
  displayName: 'steps/todo.stream.ts',
  kind: 'stream',
  canAccess,
});
const auth = (authenticate?: InvokeTarget['authenticate']): InvokeTarget => ({
  handler: undefined,
  middleware: [],
  displayName: 'motia.config.ts',
  kind: 'streamAuth',
  authenticate,
});
const step: InvokeTarget = { handler: () => 'ran', middleware: [], displayName: 'steps/a.step.ts' };

const json = (outcome: ReturnType<typeof toOutcome>): unknown =>
  'ok' in outcome ? JSON.parse((outcome.ok.value_json as Buffer).toString('utf8')) : outcome;

describe('invoke: CAN_ACCESS and AUTHENTICATE', () => {
  test('preflight accepts each trigger only on its kind of file', () => {
    assert.equal(preflight(stream(), 'TRIGGER_KIND_CAN_ACCESS'), undefined);
    assert.equal(preflight(auth(() => null), 'TRIGGER_KIND_AUTHENTICATE'), undefined);
    assert.equal(preflight(step, 'TRIGGER_KIND_API'), undefined);

    assert.match(preflight(step, 'TRIGGER_KIND_CAN_ACCESS')?.message ?? '', /is a step; only stream files answer CAN_ACCESS/);
    assert.equal(preflight(stream(), 'TRIGGER_KIND_AUTHENTICATE')?.code, 'INTERNAL');
    assert.equal(preflight(auth(), 'TRIGGER_KIND_AUTHENTICATE')?.code, 'HANDLER_MISSING');
    const api = preflight(stream(), 'TRIGGER_KIND_API');
    assert.equal(api?.code, 'HANDLER_MISSING');
    assert.match(api?.message ?? '', /a stream file has no handler/);
    assert.equal(preflight(auth(() => null), 'TRIGGER_KIND_EVENT')?.code, 'HANDLER_MISSING');
  });

  test('canAccess gets (subscription, authContext) only; none allows', async () => {
    const seen: unknown[][] = [];
    const target = stream((...args: unknown[]) => {
      seen.push(args);
      return 'truthy';
    });
    const payload = { subscription: { groupId: 'g', id: 'i' }, authContext: { userId: 'u' } };
    assert.equal(await invokeHandler(target, 'TRIGGER_KIND_CAN_ACCESS', payload, { ctx: true }), true);
    assert.deepEqual(seen, [[{ groupId: 'g', id: 'i' }, { userId: 'u' }]]);
    assert.equal(await invokeHandler(stream(async () => null), 'TRIGGER_KIND_CAN_ACCESS', payload, {}), false);
    assert.equal(await invokeHandler(stream(), 'TRIGGER_KIND_CAN_ACCESS', payload, {}), true);
    await assert.rejects(
      invokeHandler(stream(() => { throw new Error('no'); }), 'TRIGGER_KIND_CAN_ACCESS', payload, {}),
      /no/,
    );
  });

  test('authenticate gets the request only', async () => {
    const seen: unknown[][] = [];
    const target = auth(async (...args: unknown[]) => {
      seen.push(args);
      return { userId: 'u' };
    });
    const request = { headers: { authorization: 'x' }, url: '/' };
    assert.deepEqual(await invokeHandler(target, 'TRIGGER_KIND_AUTHENTICATE', request, { ctx: true }), { userId: 'u' });
    assert.deepEqual(seen, [[request]]);
  });

  test('results become Ok.value_json', () => {
    assert.equal(json(toOutcome('TRIGGER_KIND_CAN_ACCESS', true)), true);
    assert.equal(json(toOutcome('TRIGGER_KIND_CAN_ACCESS', 0)), false);
    assert.deepEqual(json(toOutcome('TRIGGER_KIND_AUTHENTICATE', { userId: 'u' })), { userId: 'u' });
    assert.equal(json(toOutcome('TRIGGER_KIND_AUTHENTICATE', undefined)), null);
    assert.equal(json(toOutcome('TRIGGER_KIND_AUTHENTICATE', null)), null);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    const bad = toOutcome('TRIGGER_KIND_AUTHENTICATE', cycle);
    assert.ok('error' in bad && bad.error.code === 'INVALID_RESPONSE', JSON.stringify(bad));
    assert.deepEqual(toOutcome('TRIGGER_KIND_EVENT', 'ignored'), { ok: {} });
  });
});
