// The test helper against a real host: the `stephost` command from the repository's
// venv (scripts/setup creates it at the repository root) unless STEPHOST_BIN or
// STEPHOST_PYTHON say otherwise, on a tiny project written to a temporary folder.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findStephost, startHost, type TestHost } from '../src/testing.ts';
import { SDK_ROOT } from './helpers/paths.js';

const REPO_VENV_PYTHON = join(SDK_ROOT, '..', '.venv', 'bin', 'python');

/** The helper's own lookup when the environment names a command, else the repository's venv. */
function stephostCommand(): string[] | undefined {
  if (process.env['STEPHOST_BIN'] || process.env['STEPHOST_PYTHON']) return undefined;
  return existsSync(REPO_VENV_PYTHON) ? [REPO_VENV_PYTHON, '-m', 'stephost.cli'] : undefined;
}

const temps: string[] = [];

function tempProject(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'stephost-testing-'));
  temps.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const THINGS = {
  'package.json': '{"type": "module"}\n',
  'steps/hello.step.js': `
export const config = { type: 'api', name: 'Hello', path: '/hello/:name', method: 'GET', emits: [] }
export const handler = async (req, ctx) => {
  ctx.logger.info('said hello', { name: req.pathParams.name })
  return { status: 200, body: { greeting: 'hello ' + req.pathParams.name, query: req.queryParams } }
}
`,
  'steps/create.step.js': `
export const config = { type: 'api', name: 'CreateThing', path: '/things', method: 'POST', emits: ['thing.created'] }
export const handler = async (req, ctx) => {
  await ctx.emit({ topic: 'thing.created', data: req.body })
  return { status: 202, body: { accepted: req.body.id } }
}
`,
  'steps/store.step.js': `
export const config = {
  type: 'event',
  name: 'StoreThing',
  subscribes: ['thing.created'],
  emits: [],
  input: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
}
export const handler = async (thing, ctx) => {
  if (thing.id === 'odd') ctx.logger.warn('an odd thing', { id: thing.id, topic: 'thing.created' })
  ctx.logger.info('thing stored', { id: thing.id })
}
`,
};

describe('findStephost', () => {
  test('STEPHOST_BIN wins over the PATH and STEPHOST_PYTHON', () => {
    assert.deepEqual(findStephost({ STEPHOST_BIN: '/opt/x/stephost', PATH: '/usr/bin', STEPHOST_PYTHON: 'py' }), [
      '/opt/x/stephost',
    ]);
  });

  test('an executable stephost on the PATH comes next', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stephost-path-'));
    temps.push(dir);
    const notExecutable = join(dir, 'a');
    mkdirSync(notExecutable);
    writeFileSync(join(notExecutable, 'stephost'), '');
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'stephost'), '#!/bin/sh\n');
    chmodSync(join(dir, 'b', 'stephost'), 0o755);
    const PATH = [notExecutable, join(dir, 'b')].join(':');
    assert.deepEqual(findStephost({ PATH, STEPHOST_PYTHON: 'py' }), [join(dir, 'b', 'stephost')]);
  });

  test('without either, STEPHOST_PYTHON runs the CLI module (python3 by default)', () => {
    assert.deepEqual(findStephost({ PATH: '', STEPHOST_PYTHON: '/v/bin/python' }), [
      '/v/bin/python',
      '-m',
      'stephost.cli',
    ]);
    assert.deepEqual(findStephost({ PATH: '' }), ['python3', '-m', 'stephost.cli']);
  });
});

describe('startHost on a real host', () => {
  let host: TestHost;

  before(async () => {
    host = await startHost({ project: tempProject(THINGS), command: stephostCommand() });
  });

  after(async () => {
    await host?.stop();
  });

  test('get passes the query and reads the JSON body and the trace id', async () => {
    const r = await host.get('/hello/ada', { tag: ['a', 'b'], x: '1' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { greeting: 'hello ada', query: { tag: ['a', 'b'], x: '1' } });
    assert.match(r.traceId ?? '', /.+/);
    assert.equal(host.captured({ step: 'Hello', traceId: r.traceId })[0]?.['name'], 'ada');
  });

  test('a posted body reaches the event step, whose log line waitEvents returns', async () => {
    const r = await host.post('/things', { id: 't1' });
    assert.equal(r.status, 202);
    const [record] = await host.waitEvents({ step: 'StoreThing', msg: 'stored', traceId: r.traceId });
    assert.equal(record?.['id'], 't1');
    assert.equal(record?.level, 'info');
  });

  test('emit goes through POST /emit and the subscriber logs under its trace', async () => {
    const r = await host.emit('thing.created', { id: 'odd' });
    assert.equal(r.status, 200);
    const warned = await host.waitEvents((rec) => rec.level === 'warn' && rec.traceId === r.traceId);
    assert.equal(warned[0]?.msg, 'an odd thing');
    assert.equal(host.captured({ topic: 'thing.created', traceId: r.traceId }).length, 1);
  });

  test('an emit the subscriber input schema refuses answers 400 and runs nothing', async () => {
    const r = await host.emit('thing.created', { id: 5 });
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /StoreThing/);
  });

  test('waitEvents rejects after its timeout and shows the host output', async () => {
    await assert.rejects(
      host.waitEvents({ step: 'Nobody' }, { timeoutMs: 200 }),
      /0 of 1 log record\(s\) matching \{"step":"Nobody"\} within 200 ms; the host's last lines:\n[\s\S]*said hello/,
    );
  });
});

test('stop ends the host by pid and its workers with it', async () => {
  const host = await startHost({ project: tempProject(THINGS), command: stephostCommand() });
  const { workers } = (await (await fetch(`${host.url}/__stephost/workers`)).json()) as { workers: { pid: number }[] };
  const pids = [host.pid, ...workers.map((w) => w.pid)];
  assert.equal(pids.length, 4);
  await host.stop();
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} is still there`);
  await assert.rejects(fetch(`${host.url}/__stephost/health`));
});

test('a project with an invalid step fails the start with the host output', async () => {
  const project = tempProject({ 'steps/bad.step.js': "export const config = { type: 'api', name: 'Bad' }\n" });
  await assert.rejects(
    startHost({ project, command: stephostCommand() }),
    /exited with 1[\s\S]*HANDLER_MISSING[\s\S]*not starting/,
  );
});

test('a command that cannot be run rejects at once, signalling nothing', async () => {
  const project = tempProject(THINGS);
  await assert.rejects(
    startHost({ project, command: [join(project, 'no-such-stephost')] }),
    /exited with 127[\s\S]*cannot run the stephost command/,
  );
});
