// Test helper for users' projects: a real stephost host on a project, driven over HTTP.
//
//   import { after, before, test } from 'node:test'
//   import { startHost } from '@stephost/sdk-node/dist/testing.js'
//   let host; before(async () => { host = await startHost({ project: '.' }) })
//   after(() => host.stop())
//
// The host is the `stephost` command, run as `stephost start` (an invalid step fails
// the start instead of being skipped) with `POST /emit` on, in-memory storage in a
// temporary data dir and JSON logs, which become `captured()` records. `stop()`
// ends it by pid and checks that none of its workers outlived it.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export interface StartHostOptions {
  /** The project folder (its steps are under steps/ and src/). */
  project: string;
  /** The HTTP port; a free one by default. */
  port?: number;
  /** `start` (default) refuses invalid steps; `dev` reports them and runs the rest. */
  mode?: 'start' | 'dev';
  /** More `stephost start|dev` arguments, e.g. `['--body-limit', '1024']`. */
  args?: readonly string[];
  /** Variables added to the host's environment. */
  env?: Readonly<Record<string, string>>;
  /** The `stephost` command; found by {@link findStephost} by default. */
  command?: readonly string[];
  /** How long the host may take to answer its health check (default 60 s). */
  startTimeoutMs?: number;
}

/** One host log line: the step's fields plus these. Host lines have `step: 'stephost'`. */
export interface HostLogRecord {
  level: string;
  msg: string;
  step: string;
  traceId: string | null;
  time: number;
  flows: string[];
  [field: string]: unknown;
}

/** Every given field must match; `msg` matches a part of the message, `topic` the record's `topic` field. */
export interface LogFilter {
  step?: string;
  level?: string;
  traceId?: string | null;
  msg?: string;
  topic?: string;
}

export interface HostResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body when the response is JSON, else the text (`any`: tests read fields straight off it). */
  body: any;
  text: string;
  /** The `x-trace-id` header: the trace the request's steps and events log under. */
  traceId: string | null;
}

export interface RequestOptions {
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  query?: Readonly<Record<string, string | readonly string[]>>;
  headers?: Readonly<Record<string, string>>;
}

export interface TestHost {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  request(method: string, path: string, options?: RequestOptions): Promise<HostResponse>;
  get(path: string, query?: RequestOptions['query']): Promise<HostResponse>;
  post(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<HostResponse>;
  /** Emits through the host's `POST /emit`: 200 once queued, 400 when a subscriber's input refuses the data. */
  emit(topic: string, data: unknown): Promise<HostResponse>;
  /** The log records so far, oldest first. */
  captured(filter?: LogFilter): HostLogRecord[];
  /**
   * Waits until `count` records match (events run after the request that emitted them
   * was answered, so wait for the log line of the step that handles one); returns every
   * match. Rejects after `timeoutMs` (default 10 s) showing the host's last lines.
   */
  waitEvents(
    match: LogFilter | ((record: HostLogRecord) => boolean),
    options?: { timeoutMs?: number; count?: number },
  ): Promise<HostLogRecord[]>;
  /** Everything the host printed so far. */
  logs(): string;
  /** SIGTERM by pid (SIGKILL after 15 s), then checks no worker outlived the host. */
  stop(): Promise<void>;
}

/**
 * The `stephost` command: `$STEPHOST_BIN`, else `stephost` on the PATH, else
 * `$STEPHOST_PYTHON -m stephost.cli` (`python3` when unset).
 */
export function findStephost(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env['STEPHOST_BIN']) return [env['STEPHOST_BIN']];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'stephost');
    try {
      accessSync(candidate, constants.X_OK);
      return [candidate];
    } catch {
      // not here; keep looking
    }
  }
  return [env['STEPHOST_PYTHON'] || 'python3', '-m', 'stephost.cli'];
}

export async function startHost(options: StartHostOptions): Promise<TestHost> {
  const port = options.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), 'stephost-data-'));
  const [program, ...prefix] = options.command ?? findStephost();
  if (program === undefined) throw new Error('startHost: `command` is empty');
  const args = [
    ...prefix,
    options.mode ?? 'start',
    resolve(options.project),
    '--port', String(port),
    '--host', '127.0.0.1',
    '--data-dir', dataDir,
    '--storage', 'memory',
    '--log-format', 'json',
    '--log-level', 'debug',
    '--enable-emit-endpoint',
    ...(options.args ?? []),
  ];
  const child = spawn(program, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const host = new RunningHost(child, port, dataDir);
  await host.waitUntilHealthy(options.startTimeoutMs ?? 60_000, [program, ...args].join(' '));
  return host;
}

class RunningHost implements TestHost {
  readonly url: string;
  private output = '';
  private partial = '';
  private readonly records: HostLogRecord[] = [];
  private readonly workerPids = new Set<number>();
  private readonly exited: Promise<void>;
  private exitCode: number | null = null;
  private stopped = false;

  constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dataDir: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.exited = new Promise((done) => {
      child.once('close', (code, signal) => {
        this.exitCode ??= code ?? (signal ? 128 : 0);
        done();
      });
      // A program that cannot be started (not found, not executable) has no pid and may never 'close'.
      child.once('error', (err) => {
        this.collect(`startHost: cannot run the stephost command: ${err.message}\n`);
        if (child.pid === undefined) {
          this.exitCode ??= 127;
          done();
        }
      });
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.collect(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.collect(chunk));
  }

  /** 0 when the command could not be started. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  async waitUntilHealthy(timeoutMs: number, commandLine: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== null) {
        this.cleanUp();
        throw new Error(`the host exited with ${this.exitCode} (${commandLine}):\n${this.output}`);
      }
      try {
        const r = await fetch(`${this.url}/__stephost/health`, { signal: AbortSignal.timeout(1000) });
        if (r.status === 200) {
          await this.rememberWorkers();
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    await this.stop().catch(() => undefined);
    throw new Error(`the host did not answer within ${timeoutMs} ms (${commandLine}):\n${this.output}`);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<HostResponse> {
    const url = new URL(path, this.url);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const one of typeof value === 'string' ? [value] : value) url.searchParams.append(key, one);
    }
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      if (typeof options.body !== 'string') headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
      parsed = JSON.parse(text);
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed,
      text,
      traceId: response.headers.get('x-trace-id'),
    };
  }

  get(path: string, query?: RequestOptions['query']): Promise<HostResponse> {
    return this.request('GET', path, query === undefined ? {} : { query });
  }

  post(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<HostResponse> {
    return this.request('POST', path, { ...options, body });
  }

  emit(topic: string, data: unknown): Promise<HostResponse> {
    return this.request('POST', '/emit', { body: { topic, data } });
  }

  captured(filter: LogFilter = {}): HostLogRecord[] {
    return this.records.filter((record) => matches(record, filter));
  }

  async waitEvents(
    match: LogFilter | ((record: HostLogRecord) => boolean),
    options: { timeoutMs?: number; count?: number } = {},
  ): Promise<HostLogRecord[]> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const count = options.count ?? 1;
    const test = typeof match === 'function' ? match : (r: HostLogRecord) => matches(r, match);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.filter(test);
      if (found.length >= count) return found;
      if (Date.now() >= deadline) {
        const wanted = typeof match === 'function' ? match.name || 'a predicate' : JSON.stringify(match);
        const tail = this.output.split('\n').slice(-30).join('\n');
        throw new Error(
          `${found.length} of ${count} log record(s) matching ${wanted} within ${timeoutMs} ms; ` +
            `the host's last lines:\n${tail}`,
        );
      }
      await sleep(50);
    }
  }

  logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.exitCode === null) {
      await this.rememberWorkers();
      signalPid(this.pid, 'SIGTERM');
      if (!(await within(this.exited, 15_000))) {
        signalPid(this.pid, 'SIGKILL');
        await this.exited;
      }
    }
    // Workers leave when their host does; give them a moment, then end any that stayed.
    const deadline = Date.now() + 10_000;
    while ([...this.workerPids].some(isAlive) && Date.now() < deadline) await sleep(50);
    const leftovers = [...this.workerPids].filter(isAlive);
    for (const pid of leftovers) signalPid(pid, 'SIGKILL');
    this.cleanUp();
    if (leftovers.length > 0) {
      throw new Error(`the host left worker processes behind: ${leftovers.join(', ')}\n${this.output}`);
    }
  }

  private async rememberWorkers(): Promise<void> {
    try {
      const r = await fetch(`${this.url}/__stephost/workers`, { signal: AbortSignal.timeout(5000) });
      const { workers } = (await r.json()) as { workers: { pid?: number | null }[] };
      for (const worker of workers) if (worker.pid) this.workerPids.add(worker.pid);
    } catch {
      // the host is going or gone; the pids seen earlier are what we check
    }
  }

  private collect(chunk: string): void {
    this.output += chunk;
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        this.records.push(JSON.parse(line) as HostLogRecord);
      } catch {
        // a line that only looks like JSON (a worker's own output); it stays in logs()
      }
    }
  }

  private cleanUp(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function matches(record: HostLogRecord, filter: LogFilter): boolean {
  return (
    (filter.step === undefined || record.step === filter.step) &&
    (filter.level === undefined || record.level === filter.level) &&
    (filter.traceId === undefined || record.traceId === filter.traceId) &&
    (filter.msg === undefined || String(record.msg).includes(filter.msg)) &&
    (filter.topic === undefined || record['topic'] === filter.topic)
  );
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  // 0 and negative pids address process groups (-1: every process we may signal): never here.
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Alive and not a zombie (an exited worker its new parent has not reaped yet is gone for us). */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Field 3 of /proc/PID/stat is the state; the name before it is in parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): signal 0 succeeded, so it is there
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
