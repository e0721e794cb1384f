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

  push(message: Received): void {
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
