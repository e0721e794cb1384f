// Hello.source_files: the project's own files a step file loaded. The worker is
// spawned for real (`node dist/worker.js`, as the host starts it) against a
// minimal fake host that reads its Hello and ends the stream.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../src/protocol.js';
import { isProjectFile, projectFileOfUrl, scopeOf, SDK_DIR, sourceFileList } from '../src/source-files.js';
import { FIXTURES, SDK_ROOT } from './helpers/paths.js';

const WORKER = join(SDK_ROOT, 'dist', 'worker.js');
const SECRET = 's3cret';
const TIMEOUT_MS = 15_000;

type Received = { kind: string } & Record<string, any>;
type Stream = grpc.ServerDuplexStream<Received, Record<string, unknown>>;

/** Accepts worker streams and hands each one's first message to the waiting test. */
class HelloHost {
  readonly dir = mkdtempSync(join(tmpdir(), 'stephost-src-'));
  readonly socket = join(this.dir, 'host.sock');
  private readonly server = new grpc.Server();
  private readonly waiting: Array<(m: Received) => void> = [];

  async start(): Promise<void> {
    this.server.addService(loadProto().service, {
      Connect: (stream: Stream) => {
        stream.on('error', () => {});
        stream.once('data', (first: Received) => {
          this.waiting.shift()?.(first);
          stream.end(); // the host goes away: the worker exits 3
        });
      },
    });
    await new Promise<void>((resolve, reject) =>
      this.server.bindAsync(`unix:${this.socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** Spawns a worker for `stepFile` in `project` and returns its first message. */
  async firstMessage(project: string, stepFile: string): Promise<Received> {
    const child = spawn(process.execPath, [WORKER], {
      cwd: project,
      env: {
        ...process.env,
        STEPHOST_SOCKET: this.socket,
        STEPHOST_WORKER_ID: 'w-1',
        STEPHOST_WORKER_SECRET: SECRET,
        STEPHOST_STEP_FILE: join(project, stepFile),
        STEPHOST_PROJECT_ROOT: project,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<Received>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no Hello from ${stepFile}; output:\n${output}`)), TIMEOUT_MS);
        this.waiting.push(resolve);
      });
    } finally {
      clearTimeout(timer);
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGKILL'); // by pid: the worker this test started
      }
      await exited;
    }
  }

  async hello(project: string, stepFile: string): Promise<Record<string, any>> {
    const first = await this.firstMessage(project, stepFile);
    assert.equal(first.kind, 'hello', JSON.stringify(first));
    return first['hello'];
  }

  stop(): void {
    this.server.forceShutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Absolute real paths of `files` below `project`, sorted. */
const expected = (project: string, ...files: string[]): string[] =>
  files.map((file) => realpathSync(join(project, file))).sort();

describe('Hello.source_files from a real worker', () => {
  const host = new HelloHost();
  before(() => host.start());
  after(() => host.stop());

  test('an ESM TS step: itself, its TS and JS helpers; no package, no lazy import', async () => {
    const project = join(FIXTURES, 'source-files');
    const hello = await host.hello(project, 'steps/report.step.ts');
    assert.deepEqual(
      hello.source_files,
      expected(project, 'src/plain.js', 'steps/lib/format.ts', 'steps/report.step.ts'),
    );
  });

  test('a CJS JS step: the helper it requires', async () => {
    const project = join(FIXTURES, 'cjs-js');
    const hello = await host.hello(project, 'steps/hello.step.js');
    assert.deepEqual(hello.source_files, expected(project, 'steps/hello.step.js', 'steps/helper.js'));
  });

  test('a CJS TS project: helpers tsx compiles through require, tsconfig paths included', async () => {
    const project = join(FIXTURES, 'ts-project');
    const hello = await host.hello(project, 'steps/order.step.ts');
    assert.deepEqual(
      hello.source_files,
      expected(project, 'src/lib/legacy.js', 'src/services/pricing.ts', 'steps/helpers.ts', 'steps/order.step.ts'),
    );
  });

  test("a package in the project's own node_modules is not listed", async () => {
    const project = join(FIXTURES, 'npm-package');
    const hello = await host.hello(project, 'steps/slug.step.ts');
    assert.deepEqual(hello.source_files, expected(project, 'steps/slug.step.ts'));
  });

  test('a step that fails to load sends LoadFailure, no Hello', async () => {
    const first = await host.firstMessage(join(FIXTURES, 'load-errors'), 'steps/no-handler.step.ts');
    assert.equal(first.kind, 'load_failure');
  });
});

describe('which files count as the project', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'stephost-scope-')));
  const root = join(dir, 'project');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('files below the root, outside node_modules and the SDK', () => {
    const scope = scopeOf(root);
    assert.equal(isProjectFile(join(root, 'steps', 'a.step.ts'), scope), true);
    assert.equal(isProjectFile(join(root, 'src', 'deep', 'lib.js'), scope), true);
    assert.equal(isProjectFile(join(root, 'node_modules', 'zod', 'index.js'), scope), false);
    assert.equal(isProjectFile(join(root, 'packages', 'x', 'node_modules', 'y', 'i.js'), scope), false);
    assert.equal(isProjectFile(join(dir, 'project-other', 'a.ts'), scope), false, 'a sibling with the same prefix');
    assert.equal(isProjectFile(join(dir, 'outside.ts'), scope), false);
    assert.equal(isProjectFile(root, scope), false);
    assert.equal(isProjectFile('relative/a.ts', scope), false);
    assert.equal(isProjectFile(join(SDK_DIR, 'motia-stub.cjs'), scopeOf(join(SDK_DIR, '..'))), false);
  });

  test('module URLs: file: only, query and hash dropped', () => {
    const scope = scopeOf(root);
    const file = join(root, 'steps', 'a.step.ts');
    assert.equal(projectFileOfUrl(`${pathToFileURL(file).href}?v=2#x`, scope), file);
    assert.equal(projectFileOfUrl('node:fs', scope), undefined);
    assert.equal(projectFileOfUrl(`data:text/javascript,export default 1`, scope), undefined);
  });

  test('the list: always the step, real paths, sorted, without repeats', () => {
    mkdirSync(join(root, 'steps'), { recursive: true });
    writeFileSync(join(root, 'steps', 'b.step.ts'), '');
    writeFileSync(join(root, 'steps', 'a.ts'), '');
    const link = join(dir, 'link');
    symlinkSync(root, link);
    const scope = scopeOf(link); // the root as given (a symlink) and as a real path
    const step = join(link, 'steps', 'b.step.ts');
    const helper = join(root, 'steps', 'a.ts');
    const listed = sourceFileList(step, [helper, helper, join(root, 'node_modules', 'p', 'i.js')], scope);
    assert.deepEqual(listed, [helper, join(root, 'steps', 'b.step.ts')]);
  });
});
