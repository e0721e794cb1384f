// The worker as the host sees it: a real gRPC server on a temporary unix socket
// implements WorkerHost.Connect, and `node dist/worker.js` is spawned the way
// the host spawns it (cwd = project root, STEPHOST_* environment).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../src/protocol.js';
import { FIXTURES, SDK_ROOT } from './helpers/paths.js';

const WORKER = join(SDK_ROOT, 'dist', 'worker.js');
const SECRET = 's3cret';
const TIMEOUT_MS = 15_000;

/** A WorkerMessage as proto-loader decodes it (oneofs: true adds `kind`). */
type Received = { kind: string } & Record<string, any>;
type Stream = grpc.ServerDuplexStream<Received, Record<string, unknown>>;

/** Messages from one worker stream, taken in order by predicate. */
class Inbox {
  private readonly messages: Received[] = [];
  private readonly waiters: Array<{ match: (m: Received) => boolean; resolve: (m: Received) => void }> = [];
  /** The kinds inside each WorkerBatch received, in order (their messages are also taken one by one). */
  readonly batches: string[][] = [];

  push(message: Received): void {
    if (message.kind === 'batch') {
      const inner = message['batch'].messages as Received[];
      this.batches.push(inner.map((m) => m.kind));
      for (const m of inner) this.push(m);
      return;
    }
    const index = this.waiters.findIndex((w) => w.match(message));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      waiter?.resolve(message);
    } else {
      this.messages.push(message);
    }
  }

  take(match: (m: Received) => boolean, what: string, timeoutMs = TIMEOUT_MS): Promise<Received> {
    const index = this.messages.findIndex(match);
    if (index >= 0) return Promise.resolve(this.messages.splice(index, 1)[0] as Received);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: Received) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  kind(kind: string): Promise<Received> {
    return this.take((m) => m.kind === kind, kind);
  }

  result(invocationId: string): Promise<Received> {
    return this.take((m) => m.kind === 'result' && m['result'].invocation_id === invocationId, `result of ${invocationId}`);
  }
}

interface Session {
  stream: Stream;
  inbox: Inbox;
  secret: string | undefined;
  ended: Promise<void>;
}

class FakeHost {
  readonly dir = mkdtempSync(join(tmpdir(), 'stephost-node-'));
  readonly socket = join(this.dir, 'host.sock');
  private readonly server = new grpc.Server();
  private readonly sessions: Session[] = [];
  private readonly waiting: Array<(s: Session) => void> = [];
  private readonly children: ChildProcess[] = [];

  async start(): Promise<void> {
    const proto = loadProto();
    this.server.addService(proto.service, {
      Connect: (stream: Stream) => {
        if (stream.metadata.get('x-stephost-secret')[0]?.toString() !== SECRET) {
          stream.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'wrong worker secret' });
          return;
        }
        const inbox = new Inbox();
        const ended = new Promise<void>((resolve) => {
          stream.on('end', () => {
            stream.end(); // the host closes its side once the worker has
            resolve();
          });
        });
        stream.on('data', (m: Received) => inbox.push(m));
        stream.on('error', () => {});
        const secret = stream.metadata.get('x-stephost-secret')[0]?.toString();
        const session: Session = { stream, inbox, secret, ended };
        const waiter = this.waiting.shift();
        if (waiter) waiter(session);
        else this.sessions.push(session);
      },
    });
    await new Promise<void>((resolve, reject) =>
      this.server.bindAsync(`unix:${this.socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  nextSession(): Promise<Session> {
    const ready = this.sessions.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no worker connected')), TIMEOUT_MS);
      this.waiting.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  spawnWorker(project: string, stepFile: string, env: Record<string, string> = {}): Worker {
    const child = spawn(process.execPath, [WORKER], {
      cwd: project,
      env: {
        ...process.env,
        STEPHOST_SOCKET: this.socket,
        STEPHOST_WORKER_ID: 'w-1',
        STEPHOST_WORKER_SECRET: SECRET,
        STEPHOST_STEP_FILE: join(project, stepFile),
        STEPHOST_PROJECT_ROOT: project,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    return new Worker(child);
  }

  async stop(): Promise<void> {
    for (const child of this.children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGKILL');
      }
    }
    this.server.forceShutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class Worker {
  output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  async exitCode(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker did not exit; output:\n${this.output}`)), TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const parse = (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8'));

function apiInvoke(id: string, body: unknown, headers: Record<string, string> = {}): Record<string, unknown> {
  return {
    invoke: {
      invocation_id: id,
      trigger: 'TRIGGER_KIND_API',
      payload_json: json({ body, headers, pathParams: {}, queryParams: {}, rawBody: JSON.stringify(body) }),
      trace_id: `trace-${id}`,
      deadline_unix_ms: 0,
      attempt: 1,
      flows: ['users'],
    },
  };
}

function triggerInvoke(id: string, trigger: string, payload: unknown): Record<string, unknown> {
  return {
    invoke: { invocation_id: id, trigger, payload_json: json(payload), trace_id: `trace-${id}`, deadline_unix_ms: 0, attempt: 1 },
  };
}

const canAccessInvoke = (id: string, groupId: string, authContext: unknown, itemId?: string) =>
  triggerInvoke(id, 'TRIGGER_KIND_CAN_ACCESS', {
    subscription: itemId === undefined ? { groupId } : { groupId, id: itemId },
    authContext,
  });

const authenticateInvoke = (id: string, headers: Record<string, string>) =>
  triggerInvoke(id, 'TRIGGER_KIND_AUTHENTICATE', { headers, url: '/streams?x=1' });

/** The JSON value of an Ok result (CAN_ACCESS, AUTHENTICATE). */
function okValue(result: Record<string, any>): unknown {
  assert.equal(result['outcome'], 'ok', JSON.stringify(result));
  return parse(result['ok'].value_json);
}

async function drainAndExit(host: { stream: Stream; inbox: Inbox; ended: Promise<void> }, worker: Worker): Promise<void> {
  host.stream.write({ drain: { deadline_unix_ms: Date.now() + 10_000 } });
  await host.inbox.kind('drained');
  await host.ended;
  assert.equal(await worker.exitCode(), 0, worker.output);
}

describe('worker protocol', () => {
  const host = new FakeHost();
  before(() => host.start());
  after(() => host.stop());

  test('hello, ctx calls, ping, cancel, handler errors and drain', async () => {
    const project = join(FIXTURES, 'protocol');
    const worker = host.spawnWorker(project, 'steps/users.step.ts');
    const { stream, inbox, secret, ended } = await host.nextSession();
    assert.equal(secret, SECRET);

    // Hello carries the config with schemas converted and functions removed.
    const hello = (await inbox.kind('hello'))['hello'];
    assert.equal(hello.protocol_version, 1);
    assert.equal(hello.sdk_name, 'stephost-node');
    assert.match(hello.sdk_version, /^\d+\.\d+\.\d+/);
    assert.equal(hello.language, 'typescript');
    assert.equal(hello.worker_id, 'w-1');
    assert.equal(hello.middleware_count, 1);
    assert.equal(hello.capabilities.cancel, '1');
    const config = parse(hello.config_json) as Record<string, any>;
    assert.equal(config['name'], 'CreateUser');
    assert.equal('middleware' in config, false);
    assert.deepEqual(config['bodySchema'].required, ['name']);
    assert.equal(config['bodySchema'].$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(Object.keys(config['responseSchema']).sort(), ['201', '400']);
    assert.equal(config['responseSchema']['201'].type, 'object');

    stream.write({ welcome: { protocol_version: 1, step_name: 'CreateUser', stream_names: [], max_message_bytes: 0 } });

    // An API invocation: middleware, then the handler's state.set answered by us.
    stream.write(apiInvoke('inv-1', { name: 'ada' }));
    const log = (await inbox.kind('log'))['log'];
    assert.equal(log.invocation_id, 'inv-1');
    assert.equal(log.level, 'info');
    assert.equal(log.msg, 'middleware ran');
    assert.deepEqual(parse(log.fields_json), { user: 'tester' });

    const call = (await inbox.kind('call'))['call'];
    assert.equal(call.invocation_id, 'inv-1');
    assert.equal(call.op, 'state');
    assert.equal(call.state.op, 'STATE_OP_SET');
    assert.equal(call.state.group, 'users');
    assert.equal(call.state.key, 'ada');
    const value = parse(call.state.value_json);
    assert.deepEqual(value, { name: 'ada', by: 'tester', traceId: 'trace-inv-1' });
    stream.write({ reply: { call_id: call.call_id, value_json: json(value) } });

    const ok = (await inbox.result('inv-1'))['result'];
    assert.equal(ok.outcome, 'ok');
    const response = ok.ok.response;
    assert.equal(response.status, 201);
    assert.equal(response.body_kind, 'BODY_KIND_JSON');
    assert.deepEqual(parse(response.body), { stored: value });
    const headers = response.headers.map((h: { name: string; value: string }) => `${h.name}: ${h.value}`);
    assert.deepEqual(headers, ['set-cookie: a=1', 'set-cookie: b=2', 'x-mw: 1']);

    // Middleware may answer without calling the handler.
    stream.write(apiInvoke('inv-deny', { name: 'x' }, { 'x-deny': '1' }));
    const denied = (await inbox.result('inv-deny'))['result'].ok.response;
    assert.equal(denied.status, 401);
    assert.deepEqual(parse(denied.body), { error: 'denied' });

    // A throwing handler: HANDLER_ERROR with the class name and a stack into the step.
    stream.write(apiInvoke('inv-2', { name: 'bob', fail: true }));
    const failed = (await inbox.result('inv-2'))['result'];
    assert.equal(failed.outcome, 'error');
    assert.equal(failed.error.code, 'HANDLER_ERROR');
    assert.equal(failed.error.message, 'boom from handler');
    assert.equal(failed.error.name, 'TypeError');
    assert.match(failed.error.stack, /users\.step\.ts/);

    // A handler waiting on a ctx call the host never answers: Ping is still
    // answered, and Cancel gets CANCELLED at once.
    stream.write(apiInvoke('inv-3', { name: 'carl', wait: true }));
    const pending = (await inbox.kind('call'))['call'];
    assert.equal(pending.invocation_id, 'inv-3');
    stream.write({ ping: { seq: 7 } });
    const pong = (await inbox.kind('pong'))['pong'];
    assert.equal(pong.seq, '7');
    stream.write({ cancel: { invocation_id: 'inv-3', reason: 'deadline' } });
    const cancelled = (await inbox.result('inv-3'))['result'];
    assert.equal(cancelled.error.code, 'CANCELLED');
    // The late reply for the cancelled call is ignored.
    stream.write({ reply: { call_id: pending.call_id, value_json: json(null) } });

    // A handler that ignores its cancellation keeps the invocation open: CANCELLED comes
    // only once it has settled (so the host's grace kill can apply), never its own result.
    stream.write(apiInvoke('inv-6', { name: 'fay', sleepMs: 400 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.write({ cancel: { invocation_id: 'inv-6', reason: 'caller gone' } });
    await assert.rejects(
      inbox.take((m) => m.kind === 'result' && m['result'].invocation_id === 'inv-6', 'an early result', 200),
      /timed out/,
    );
    const late = (await inbox.result('inv-6'))['result'];
    assert.equal(late.error.code, 'CANCELLED');
    assert.equal(late.error.message, 'caller gone');

    // A CtxReply error raises in the handler; left uncaught it fails the
    // invocation as HANDLER_ERROR, with the refused call's code in the message.
    stream.write(apiInvoke('inv-5', { name: 'eve' }));
    const refused = (await inbox.kind('call'))['call'];
    assert.equal(refused.invocation_id, 'inv-5');
    stream.write({ reply: { call_id: refused.call_id, error: { code: 'INVALID_ARGUMENT', message: 'value too big' } } });
    const refusedResult = (await inbox.result('inv-5'))['result'];
    assert.equal(refusedResult.error.code, 'HANDLER_ERROR');
    assert.equal(refusedResult.error.name, 'StepError');
    assert.equal(refusedResult.error.message, 'INVALID_ARGUMENT: value too big');

    // Drain: the in-flight invocation finishes first, then Drained, end, exit 0.
    stream.write(apiInvoke('inv-4', { name: 'dora', sleepMs: 200 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.write({ drain: { deadline_unix_ms: Date.now() + 10_000 } });
    const slow = (await inbox.result('inv-4'))['result'];
    assert.equal(slow.ok.response.status, 204);
    assert.equal(slow.ok.response.body_kind, 'BODY_KIND_EMPTY');
    await inbox.kind('drained');
    await ended;
    assert.equal(await worker.exitCode(), 0, worker.output);
    // Exactly one result per invocation: nothing late for the cancelled one.
    await assert.rejects(
      inbox.take((m) => m.kind === 'result' && m['result'].invocation_id === 'inv-3', 'a second result', 100),
      /timed out/,
    );
  });

  test('a stream file: Hello with functions, CAN_ACCESS answered by canAccess', async () => {
    const project = join(FIXTURES, 'streams');
    const worker = host.spawnWorker(project, 'steps/todo.stream.ts');
    const session = await host.nextSession();
    const { stream, inbox } = session;

    const hello = (await inbox.kind('hello'))['hello'];
    assert.equal(hello.language, 'typescript');
    assert.deepEqual(hello.functions, ['canAccess']);
    assert.equal(hello.middleware_count, 0);
    const config = parse(hello.config_json) as Record<string, any>;
    assert.deepEqual(Object.keys(config).sort(), ['baseConfig', 'name', 'schema']);
    assert.equal(config['name'], 'todo');
    assert.deepEqual(config['baseConfig'], { storageType: 'default' });
    assert.equal(config['schema'].$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(config['schema'].required, ['id', 'title', 'done']);
    stream.write({ welcome: { protocol_version: 1, step_name: 'todo', stream_names: ['todo'], max_message_bytes: 0 } });

    // By the subscription's groupId and the authContext; several at once.
    stream.write(canAccessInvoke('ca-member', 'user-7', { userId: '7' }));
    stream.write(canAccessInvoke('ca-other', 'user-7', { userId: '8' }, 'item-1'));
    stream.write(canAccessInvoke('ca-anonymous', 'user-7', null));
    stream.write(canAccessInvoke('ca-admin', 'user-1', { userId: '9', admin: true }));
    assert.equal(okValue((await inbox.result('ca-member'))['result']), true);
    assert.equal(okValue((await inbox.result('ca-other'))['result']), false);
    assert.equal(okValue((await inbox.result('ca-anonymous'))['result']), false);
    assert.equal(okValue((await inbox.result('ca-admin'))['result']), true, 'a truthy result is sent as true');

    // A throwing canAccess: HANDLER_ERROR with the stack (the host denies the join).
    stream.write(canAccessInvoke('ca-boom', 'boom', { userId: '7' }));
    const boom = (await inbox.result('ca-boom'))['result'];
    assert.equal(boom.outcome, 'error');
    assert.equal(boom.error.code, 'HANDLER_ERROR');
    assert.equal(boom.error.name, 'RangeError');
    assert.equal(boom.error.message, 'canAccess exploded');
    assert.match(boom.error.stack, /todo\.stream\.ts/);

    // Stream files have no handler.
    stream.write(apiInvoke('api-on-stream', {}));
    const api = (await inbox.result('api-on-stream'))['result'];
    assert.equal(api.error.code, 'HANDLER_MISSING');

    await drainAndExit(session, worker);
    // console output inside canAccess goes to stdout, which the host captures.
    assert.match(worker.output, /canAccess user-7\/item-1/);
  });

  test('batches: a HostBatch is run message by message, results of one turn come back as one WorkerBatch', async () => {
    const worker = host.spawnWorker(join(FIXTURES, 'streams'), 'steps/todo.stream.ts');
    const session = await host.nextSession();
    const { stream, inbox } = session;
    assert.equal((await inbox.kind('hello'))['hello'].capabilities.batch, '1');
    stream.write({
      welcome: { protocol_version: 1, step_name: 'todo', stream_names: ['todo'], max_message_bytes: 0, capabilities: { batch: '1' } },
    });
    const ids = ['b-1', 'b-2', 'b-3'];
    stream.write({ batch: { messages: ids.map((id) => canAccessInvoke(id, 'user-7', { userId: id === 'b-2' ? '8' : '7' })) } });
    const values = [];
    for (const id of ids) values.push(okValue((await inbox.result(id))['result']));
    assert.deepEqual(values, [true, false, true]);
    // results ready in the same turn of the event loop leave together (how many share a turn varies)
    assert.ok(inbox.batches.length >= 1, 'no WorkerBatch was sent');
    assert.ok(inbox.batches.every((kinds) => kinds.length >= 2 && kinds.every((k) => k === 'result')), String(inbox.batches));
    // A Cancel right behind its Invoke in one batch (the caller left at once): still exactly one result.
    stream.write({ batch: { messages: [canAccessInvoke('b-gone', 'user-7', { userId: '7' }), { cancel: { invocation_id: 'b-gone', reason: 'caller gone' } }] } });
    const gone = (await inbox.result('b-gone'))['result'];
    assert.ok(gone.outcome === 'ok' || gone.error.code === 'CANCELLED', JSON.stringify(gone));
    await drainAndExit(session, worker);
  });

  test('a stream file without canAccess allows every join', async () => {
    const worker = host.spawnWorker(join(FIXTURES, 'streams'), 'steps/public.stream.js');
    const session = await host.nextSession();
    const hello = (await session.inbox.kind('hello'))['hello'];
    assert.equal(hello.language, 'javascript');
    assert.deepEqual(hello.functions, []);
    assert.equal((parse(hello.config_json) as Record<string, any>)['schema'].required[0], 'text');
    session.stream.write({ welcome: { protocol_version: 1, step_name: 'public', stream_names: [], max_message_bytes: 0 } });
    session.stream.write(canAccessInvoke('open', 'any', null));
    assert.equal(okValue((await session.inbox.result('open'))['result']), true);
    await drainAndExit(session, worker);
  });

  test('a handler that imports a TS helper at run time (after Hello) gets it compiled', async () => {
    const worker = host.spawnWorker(join(FIXTURES, 'source-files'), 'steps/report.step.ts');
    const session = await host.nextSession();
    await session.inbox.kind('hello');
    session.stream.write({ welcome: { protocol_version: 1, step_name: 'Report', stream_names: [], max_message_bytes: 0 } });
    // steps/lib/late.ts, imported by the handler as './lib/late.js', is loaded only now.
    session.stream.write(triggerInvoke('late-1', 'TRIGGER_KIND_EVENT', { total: 3 }));
    const log = (await session.inbox.kind('log'))['log'];
    assert.equal(log.msg, 'late 3');
    assert.equal((await session.inbox.result('late-1'))['result'].outcome, 'ok');
    await drainAndExit(session, worker);
  });

  test('motia.config.ts with defineConfig and plugins not installed: AUTHENTICATE', async () => {
    const project = join(FIXTURES, 'streams');
    const worker = host.spawnWorker(project, 'motia.config.ts');
    const session = await host.nextSession();
    const { stream, inbox } = session;

    const hello = (await inbox.kind('hello'))['hello'];
    assert.equal(hello.language, 'typescript');
    assert.deepEqual(hello.functions, ['authenticate']);
    const config = parse(hello.config_json) as Record<string, any>;
    assert.deepEqual(Object.keys(config).sort(), ['contextSchema', 'type']);
    assert.equal(config['type'], 'streamAuth');
    assert.equal(config['contextSchema'].type, 'object');
    assert.deepEqual(config['contextSchema'].required, ['userId']);
    stream.write({ welcome: { protocol_version: 1, step_name: 'streamAuth', stream_names: [], max_message_bytes: 0 } });

    stream.write(authenticateInvoke('auth-ada', { authorization: 'Bearer ada' }));
    stream.write(authenticateInvoke('auth-none', {}));
    stream.write(authenticateInvoke('auth-bad', { authorization: 'Basic xyz' }));
    assert.deepEqual(okValue((await inbox.result('auth-ada'))['result']), { userId: 'ada', admin: false });
    assert.equal(okValue((await inbox.result('auth-none'))['result']), null, 'null is anonymous');
    const bad = (await inbox.result('auth-bad'))['result'];
    assert.equal(bad.outcome, 'error');
    assert.equal(bad.error.code, 'HANDLER_ERROR');
    assert.equal(bad.error.message, 'bad token');
    assert.match(bad.error.stack, /motia\.config\.ts/);

    // The auth file answers nothing else.
    stream.write(canAccessInvoke('ca-on-auth', 'g', null));
    assert.equal((await inbox.result('ca-on-auth'))['result'].error.code, 'INTERNAL');

    await drainAndExit(session, worker);
    assert.match(worker.output, /authenticate \/streams\?x=1/);
  });

  test('a step that cannot load sends LoadFailure and exits 1', async () => {
    const project = join(FIXTURES, 'load-errors');
    const worker = host.spawnWorker(project, 'steps/no-handler.step.ts');
    const { inbox } = await host.nextSession();
    const failure = (await inbox.kind('load_failure'))['load_failure'];
    assert.equal(failure.worker_id, 'w-1');
    assert.equal(failure.error.code, 'HANDLER_MISSING');
    assert.match(failure.error.message, /no-handler\.step\.ts/);
    assert.equal(await worker.exitCode(), 1);
  });

  test('a wrong secret is refused and exits 3', async () => {
    const project = join(FIXTURES, 'protocol');
    const worker = host.spawnWorker(project, 'steps/users.step.ts', { STEPHOST_WORKER_SECRET: 'wrong' });
    assert.equal(await worker.exitCode(), 3, worker.output);
    assert.match(worker.output, /refused the connection/);
  });

  test('an unreachable socket exits 3', async () => {
    const project = join(FIXTURES, 'protocol');
    const worker = host.spawnWorker(project, 'steps/users.step.ts', {
      STEPHOST_SOCKET: join(host.dir, 'nobody-listens.sock'),
      STEPHOST_CONNECT_TIMEOUT_MS: '300',
    });
    assert.equal(await worker.exitCode(), 3);
  });
});
