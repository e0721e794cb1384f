// Each step is loaded in a fresh `node` with no tsx preloaded (as the worker
// runs), through test/helpers/load-step.mjs, with the fixture project as cwd.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURES, SDK_ROOT } from './helpers/paths.js';

const run = promisify(execFile);
const HELPER = join(SDK_ROOT, 'test', 'helpers', 'load-step.mjs');

interface Loaded {
  ok: boolean;
  language?: string;
  config?: Record<string, any>;
  middlewareCount?: number;
  result?: any;
  calls?: any[];
  logs?: any[];
  code?: string;
  message?: string;
  stack?: string;
}

async function load(project: string, step: string, trigger?: string, payload?: unknown): Promise<Loaded> {
  return loadIn(join(FIXTURES, project), step, trigger, payload);
}

async function loadIn(cwd: string, step: string, trigger?: string, payload?: unknown): Promise<Loaded> {
  const args = [HELPER, step];
  if (trigger) args.push(trigger, JSON.stringify(payload ?? null));
  const { stdout } = await run(process.execPath, args, { cwd, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as Loaded;
}

/**
 * A project outside sdk_node/ (fixtures inside it would find the SDK's own
 * node_modules by walking up), written as files, with no node_modules at all.
 */
function tempProject(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'stephost-sdk-test-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

function body(loaded: Loaded): unknown {
  const response = loaded.result?.ok?.response;
  assert.ok(response, JSON.stringify(loaded));
  return response.body_kind === 'BODY_KIND_JSON' ? JSON.parse(response.body) : response.body;
}

describe('loader', () => {
  test('ESM .js step with named exports, importing a helper', async () => {
    const loaded = await load('esm-js', 'steps/hello.step.js', 'TRIGGER_KIND_API', { queryParams: { name: 'bob' } });
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.language, 'javascript');
    assert.equal(loaded.config?.['description'], 'hello esm');
    assert.deepEqual(body(loaded), { message: 'hello bob' });
  });

  test('ESM .js step with a default export object', async () => {
    const loaded = await load('esm-js', 'steps/default.step.js', 'TRIGGER_KIND_EVENT', { a: 1 });
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.config?.['name'], 'EsmDefault');
    assert.deepEqual(loaded.result, { seen: { a: 1 } });
  });

  test('CommonJS .js step with module.exports, requiring a helper', async () => {
    const loaded = await load('cjs-js', 'steps/hello.step.js', 'TRIGGER_KIND_EVENT', { text: 'hi' });
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.config?.['description'], 'CJS');
    assert.deepEqual(loaded.calls, [{ emit: { topic: 'greeted', data_json: '{"text":"HI"}', message_group_id: '' } }]);
  });

  test('CommonJS .js step with exports.x, as a cron handler(ctx)', async () => {
    const loaded = await load('cjs-js', 'steps/exports.step.js', 'TRIGGER_KIND_CRON');
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.config?.['cron'], '* * * * *');
    assert.deepEqual(loaded.logs, [{ level: 'info', msg: 'tick', fields: { traceId: 'trace-1' } }]);
  });

  test('.ts step importing .ts and .js helpers and a tsconfig paths alias, motia types not installed', async () => {
    const loaded = await load('ts-project', 'steps/order.step.ts', 'TRIGGER_KIND_API', { body: { amount: 10 } });
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.language, 'typescript');
    assert.equal(loaded.config?.['description'], 'order:create');
    assert.equal(loaded.result.ok.response.status, 201);
    assert.deepEqual(body(loaded), { amount: 12, currency: 'EUR' });
  });

  test('.ts step in a "type": "module" project importing ./util.js (a .ts file)', async () => {
    const loaded = await load('ts-esm', 'steps/double.step.ts', 'TRIGGER_KIND_EVENT', { n: 4 });
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.config?.['description'], 'double of 21 is 42');
    assert.deepEqual(loaded.calls, [{ emit: { topic: 'doubled', data_json: '{"n":8}', message_group_id: '' } }]);
  });

  test('motia imports kept by verbatimModuleSyntax load without motia installed (ESM)', async () => {
    const loaded = await load('motia-verbatim-esm', 'steps/ping.step.ts', 'TRIGGER_KIND_API');
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.config?.['description'], 'object');
    assert.equal(body(loaded), 'pong');
  });

  test('motia imports kept by verbatimModuleSyntax load without motia installed (CommonJS)', async () => {
    const loaded = await load('motia-verbatim-cjs', 'steps/ping.step.ts', 'TRIGGER_KIND_API');
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(body(loaded), 'pong');
  });

  test("a package from the project's own node_modules", async () => {
    const loaded = await load('npm-package', 'steps/slug.step.ts', 'TRIGGER_KIND_API', { body: { title: 'A Nice Title' } });
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.config?.['description'], 'hello-big-world');
    assert.deepEqual(body(loaded), { slug: 'a-nice-title' });
  });

  describe('zod without node_modules (the SDK lends its own)', () => {
    const zodStep = `
      import { ApiRouteConfig, Handlers } from 'motia'
      import { z } from 'zod'
      const Body = z.object({ name: z.string() })
      export const config: ApiRouteConfig = { type: 'api', name: 'Z', path: '/z', method: 'POST', emits: [], bodySchema: Body }
      export const handler: Handlers['Z'] = async (req: any) => ({ status: 200, body: Body.parse(req.body) })
    `;
    const cjsRequire = `
      const { z } = require('zod')
      module.exports = {
        config: { type: 'event', name: 'R', subscribes: ['r'], emits: [], input: z.object({ n: z.number() }) },
        handler: async (input) => ({ n: z.number().parse(input.n) }),
      }
    `;
    const motiaDeps = '"dependencies": { "motia": "^0.17.0", "zod": "^4.1.0" }';
    for (const [kind, type] of [['CommonJS', ''], ['ESM', '"type": "module", ']] as const) {
      test(`${kind} project: import { z } from 'zod' in .ts and .js steps`, async () => {
        const root = tempProject({
          'package.json': `{ "name": "no-modules", ${type}${motiaDeps} }`,
          'steps/z.step.ts': zodStep,
          'steps/j.step.js': zodStep.replace(/: ApiRouteConfig|: Handlers\['Z'\]|: any/g, '').replace(/^.*from 'motia'$/m, ''),
          ...(type ? {} : { 'steps/r.step.js': cjsRequire }),
        });
        try {
          for (const file of ['steps/z.step.ts', 'steps/j.step.js']) {
            const loaded = await loadIn(root, file, 'TRIGGER_KIND_API', { body: { name: 'ada' } });
            assert.equal(loaded.ok, true, `${file}: ${loaded.message}`);
            assert.deepEqual(loaded.config?.['bodySchema'].required, ['name']);
            assert.deepEqual(body(loaded), { name: 'ada' });
          }
          if (!type) {
            const loaded = await loadIn(root, 'steps/r.step.js', 'TRIGGER_KIND_EVENT', { n: 2 });
            assert.equal(loaded.ok, true, loaded.message);
            assert.equal(loaded.config?.['input'].properties.n.type, 'number');
          }
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });
    }

    test('a package other than zod is still reported missing', async () => {
      const root = tempProject({
        'package.json': '{ "name": "no-modules" }',
        'steps/x.step.ts': "import left from 'left-pad'\nexport const config = { type: 'noop', name: 'X', virtualEmits: [], virtualSubscribes: [] }\nexport default left\n",
      });
      try {
        const loaded = await loadIn(root, 'steps/x.step.ts');
        assert.equal(loaded.ok, false);
        assert.match(loaded.message ?? '', /left-pad/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  test('middleware is counted and schemas converted for the protocol fixture', async () => {
    const loaded = await load('protocol', 'steps/users.step.ts');
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.middlewareCount, 1);
    assert.equal('middleware' in (loaded.config ?? {}), false);
    assert.equal(loaded.config?.['bodySchema'].type, 'object');
  });

  test('a noop step needs no handler', async () => {
    const loaded = await load('load-errors', 'steps/noop.step.ts');
    assert.equal(loaded.ok, true, loaded.message);
    assert.equal(loaded.config?.['type'], 'noop');
  });

  describe('failures', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['steps/syntax.step.ts', 'LOAD_ERROR', /^steps\/syntax\.step\.ts: .*syntax\.step\.ts:2:\d+/s],
      ['steps/syntax.step.js', 'LOAD_ERROR', /^steps\/syntax\.step\.js:3: Unexpected end of input/],
      ['steps/missing-import.step.ts', 'LOAD_ERROR', /^steps\/missing-import\.step\.ts: .*no-such-package-anywhere/],
      ['steps/throws.step.js', 'LOAD_ERROR', /^steps\/throws\.step\.js: database URL is not set/],
      ['steps/no-config.step.js', 'CONFIG_MISSING', /^steps\/no-config\.step\.js: .*config/],
      ['steps/no-handler.step.ts', 'HANDLER_MISSING', /^steps\/no-handler\.step\.ts: .*handler/],
      ['steps/bad-middleware.step.js', 'LOAD_ERROR', /middleware\[0\] is not a function/],
      ['steps/does-not-exist.step.ts', 'LOAD_ERROR', /does-not-exist\.step\.ts: step file not found/],
    ];
    for (const [step, code, message] of cases) {
      test(`${step} -> ${code}`, async () => {
        const loaded = await load('load-errors', step);
        assert.equal(loaded.ok, false);
        assert.equal(loaded.code, code);
        assert.match(loaded.message ?? '', message);
        assert.ok(loaded.stack, 'a stack is reported');
      });
    }

    test('an error thrown while importing keeps the original stack', async () => {
      const loaded = await load('load-errors', 'steps/throws.step.js');
      assert.match(loaded.stack ?? '', /TypeError: database URL is not set\n\s+at .*throws\.step\.js/);
    });
  });
});
