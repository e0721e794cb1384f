// Each step is loaded in a fresh `node` with no tsx preloaded (as the worker
// runs), through test/helpers/load-step.mjs, with the fixture project as cwd.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURES, SDK_ROOT } from './helpers/paths.js';

const run = promisify(execFile);
const HELPER = join(SDK_ROOT, 'test', 'helpers', 'load-step.mjs');

interface Loaded {
  ok: boolean;
  language?: string;
  kind?: string;
  functions?: string[];
  config?: Record<string, any>;
  middlewareCount?: number;
  threads?: number;
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

  describe('stream files', () => {
    const access = (groupId: string, authContext: unknown, id?: string) => ({
      subscription: id === undefined ? { groupId } : { groupId, id },
      authContext,
    });

    test('config with the zod schema converted, canAccess removed and reported in functions', async () => {
      const loaded = await load('streams', 'steps/todo.stream.ts');
      assert.equal(loaded.ok, true, loaded.message);
      assert.equal(loaded.kind, 'stream');
      assert.deepEqual(loaded.functions, ['canAccess']);
      assert.deepEqual(Object.keys(loaded.config ?? {}).sort(), ['baseConfig', 'name', 'schema']);
      assert.equal(loaded.config?.['schema'].type, 'object');
      assert.deepEqual(loaded.config?.['schema'].required, ['id', 'title', 'done']);
    });

    test('CAN_ACCESS calls canAccess(subscription, authContext) and coerces to a boolean', async () => {
      const cases: Array<[unknown, boolean]> = [
        [access('user-7', { userId: '7' }), true],
        [access('user-7', { userId: '8' }, 'item-1'), false],
        [access('user-7', null), false],
        [access('anything', { userId: '1', admin: true }), true], // canAccess returns 1
      ];
      for (const [payload, expected] of cases) {
        const loaded = await load('streams', 'steps/todo.stream.ts', 'TRIGGER_KIND_CAN_ACCESS', payload);
        assert.equal(loaded.ok, true, loaded.message);
        assert.equal(loaded.result, expected, JSON.stringify(payload));
      }
    });

    test('a plain canAccess in a default export, returning non-booleans', async () => {
      const open = await load('streams', 'steps/sync.stream.js', 'TRIGGER_KIND_CAN_ACCESS', access('open', null));
      assert.equal(open.ok, true, open.message);
      assert.deepEqual(open.functions, ['canAccess']);
      assert.equal(open.result, true);
      const closed = await load('streams', 'steps/sync.stream.js', 'TRIGGER_KIND_CAN_ACCESS', access('shut', null));
      assert.equal(closed.result, false);
    });

    test('no canAccess: no functions, and CAN_ACCESS allows', async () => {
      const loaded = await load('streams', 'steps/public.stream.js', 'TRIGGER_KIND_CAN_ACCESS', access('g', null));
      assert.equal(loaded.ok, true, loaded.message);
      assert.deepEqual(loaded.functions, []);
      assert.equal(loaded.config?.['description'], 'open to all');
      assert.equal(loaded.result, true);
    });

    test('a throwing canAccess rejects with its error', async () => {
      const loaded = await load('streams', 'steps/todo.stream.ts', 'TRIGGER_KIND_CAN_ACCESS', access('boom', null));
      assert.equal(loaded.ok, false);
      assert.equal(loaded.message, 'canAccess exploded');
    });

    test('a canAccess that is not a function is a LOAD_ERROR', async () => {
      const root = tempProject({
        'package.json': '{ "name": "s" }',
        'steps/bad.stream.ts': "export const config = { name: 'bad', schema: {}, baseConfig: { storageType: 'default' }, canAccess: true }\n",
      });
      try {
        const loaded = await loadIn(root, 'steps/bad.stream.ts');
        assert.equal(loaded.ok, false);
        assert.equal(loaded.code, 'LOAD_ERROR');
        assert.match(loaded.message ?? '', /bad\.stream\.ts: config\.canAccess must be a function, got boolean/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('the stream auth file (motia.config)', () => {
    const request = (authorization?: string) => ({
      headers: authorization === undefined ? {} : { authorization },
      url: '/?authToken=x',
    });

    test('a CommonJS-compiled motia.config.ts with defineConfig and plugins, none installed', async () => {
      const loaded = await load('streams', 'motia.config.ts', 'TRIGGER_KIND_AUTHENTICATE', request('Bearer ada'));
      assert.equal(loaded.ok, true, loaded.message);
      assert.equal(loaded.kind, 'streamAuth');
      assert.equal(loaded.language, 'typescript');
      assert.deepEqual(loaded.functions, ['authenticate']);
      assert.equal(loaded.config?.['type'], 'streamAuth');
      assert.deepEqual(Object.keys(loaded.config ?? {}).sort(), ['contextSchema', 'type']);
      assert.equal(loaded.config?.['contextSchema'].type, 'object');
      assert.deepEqual(loaded.config?.['contextSchema'].required, ['userId']);
      assert.deepEqual(loaded.result, { userId: 'ada', admin: false });

      const anonymous = await load('streams', 'motia.config.ts', 'TRIGGER_KIND_AUTHENTICATE', request());
      assert.equal(anonymous.ok, true, anonymous.message);
      assert.equal(anonymous.result, null);

      const refused = await load('streams', 'motia.config.ts', 'TRIGGER_KIND_AUTHENTICATE', request('Basic x'));
      assert.equal(refused.ok, false);
      assert.equal(refused.message, 'bad token');
    });

    const esmTs = `
      import { defineConfig } from 'motia'
      import logsPlugin from '@motiadev/plugin-logs/plugin'
      import * as observability from '@motiadev/plugin-observability/plugin'
      import { RedisStreamAdapterManager, RedisStateAdapter } from '@motiadev/adapter-redis-streams'
      const plugins = [logsPlugin, observability.default]
      const made = plugins.map((p) => p({} as any))
      export default defineConfig({
        plugins,
        adapters: { streams: new RedisStreamAdapterManager({}), state: RedisStateAdapter() },
        streamAuth: {
          contextSchema: { type: 'object', properties: { userId: { type: 'string' } } },
          authenticate(request: { headers: Record<string, string> }) {
            return { userId: request.headers.authorization, made }
          },
        },
      })
    `;
    const variants: Array<[string, Record<string, string>]> = [
      ['an ESM motia.config.ts ("type": "module")', { 'package.json': '{ "name": "p", "type": "module" }', 'motia.config.ts': esmTs }],
      ['a CommonJS motia.config.ts', { 'package.json': '{ "name": "p" }', 'motia.config.ts': esmTs }],
      [
        'a motia.config.ts with a `config` named export and a plain object',
        {
          'package.json': '{ "name": "p", "type": "module" }',
          'motia.config.ts': esmTs.replace('export default defineConfig(', 'export const config = (').replace(/^.*from 'motia'$/m, ''),
        },
      ],
      [
        'a CommonJS motia.config.js with require()',
        {
          'package.json': '{ "name": "p" }',
          'motia.config.js': `
            const { defineConfig } = require('motia')
            const logs = require('@motiadev/plugin-logs/plugin')
            const { BullMQEventAdapter } = require('@motiadev/adapter-bullmq-events')
            const made = [logs.default({}), logs({})]
            module.exports = defineConfig({
              plugins: [logs.default],
              adapters: { events: new BullMQEventAdapter({}) },
              streamAuth: { authenticate: (request) => ({ userId: request.headers.authorization, made }) },
            })
          `,
        },
      ],
      [
        'a motia.config.mjs importing motia as a namespace',
        {
          'package.json': '{ "name": "p" }',
          'motia.config.mjs': `
            import * as motia from 'motia'
            import logs from '@motiadev/plugin-logs/plugin'
            const made = [logs({})]
            export default motia.defineConfig({
              plugins: [logs],
              streamAuth: { authenticate: async (request) => ({ userId: request.headers.authorization, made }) },
            })
          `,
        },
      ],
    ];
    for (const [name, files] of variants) {
      test(`${name}, without node_modules`, async () => {
        const root = tempProject(files);
        const file = Object.keys(files).find((f) => f.startsWith('motia.config')) as string;
        try {
          const loaded = await loadIn(root, file, 'TRIGGER_KIND_AUTHENTICATE', request('u1'));
          assert.equal(loaded.ok, true, `${loaded.message}\n${loaded.stack}`);
          assert.equal(loaded.kind, 'streamAuth');
          assert.deepEqual(loaded.functions, ['authenticate']);
          assert.deepEqual(loaded.result.userId, 'u1');
          assert.ok(loaded.result.made.every((m: unknown) => JSON.stringify(m) === '{}'), 'plugins are no-ops returning {}');
          const schema = loaded.config?.['contextSchema'];
          if (file.endsWith('.ts')) assert.deepEqual(schema, { type: 'object', properties: { userId: { type: 'string' } } });
          else assert.equal(schema, null);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });
    }

    test('a config without streamAuth, or without any export, offers no function', async () => {
      const root = tempProject({
        'package.json': '{ "name": "p" }',
        'motia.config.ts': "import { defineConfig } from 'motia'\nimport x from '@motiadev/plugin-logs/plugin'\nexport default defineConfig({ plugins: [x] })\n",
        'empty/motia.config.js': '// nothing here\n',
      });
      try {
        for (const file of ['motia.config.ts', 'empty/motia.config.js']) {
          const loaded = await loadIn(root, file);
          assert.equal(loaded.ok, true, `${file}: ${loaded.message}`);
          assert.deepEqual(loaded.functions, []);
          assert.deepEqual(loaded.config, { type: 'streamAuth', contextSchema: null });
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    test('a malformed streamAuth is a LOAD_ERROR naming the field', async () => {
      const root = tempProject({
        'package.json': '{ "name": "p" }',
        'a/motia.config.ts': "export default { streamAuth: { authenticate: 'yes' } }\n",
        'b/motia.config.ts': 'export default { streamAuth: true }\n',
        'c/motia.config.ts': 'export default 42\n',
      });
      try {
        const expected: Array<[string, RegExp]> = [
          ['a/motia.config.ts', /streamAuth\.authenticate must be a function, got string/],
          ['b/motia.config.ts', /streamAuth must be an object/],
          ['c/motia.config.ts', /default export must be the project config object .*got number/],
        ];
        for (const [file, message] of expected) {
          const loaded = await loadIn(root, file);
          assert.equal(loaded.ok, false, file);
          assert.equal(loaded.code, 'LOAD_ERROR');
          assert.match(loaded.message ?? '', message);
          assert.ok(loaded.message?.startsWith(file), loaded.message);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('require() first, the ES module loader only where it is needed', () => {
    // A "type": "module" project, as Motia's templates are: TypeScript with ESM syntax, an
    // extensionless import, import.meta.url, a package that is an ES module only.
    const files = {
      'package.json': '{"type": "module"}',
      'node_modules/esm-only/package.json': '{"name": "esm-only", "type": "module", "exports": "./index.js"}',
      'node_modules/esm-only/index.js': 'export const hello = (n) => `hello ${n}`\nexport default 42\n',
      'steps/helper.ts': 'export const twice = (n: number): number => n * 2\nexport const where = import.meta.url\n',
      'steps/lazy.ts': "export const lazy: string = 'loaded later'\n",
      'steps/plain.step.ts': [
        "import { twice, where } from './helper'",
        "import answer, { hello } from 'esm-only'",
        "export const config = { type: 'api', name: 'Plain', path: '/p', method: 'GET', emits: [] }",
        'export const handler = async () => ({',
        '  status: 200,',
        '  body: { twice: twice(2), helper: where, me: import.meta.url, hello: hello(answer) },',
        '})',
      ].join('\n'),
      'steps/lazy.step.ts': [
        "export const config = { type: 'api', name: 'Lazy', path: '/l', method: 'GET', emits: [] }",
        "export const handler = async () => ({ status: 200, body: (await import('./lazy')).lazy })",
      ].join('\n'),
      'steps/twin.step.js': [
        '// JavaScript importing a TypeScript helper by its .js name, as TypeScript ESM code does',
        "import { twice } from './helper.js'",
        "export const config = { type: 'api', name: 'Twin', path: '/w', method: 'GET', emits: [] }",
        'export const handler = async () => ({ status: 200, body: twice(21) })',
      ].join('\n'),
      'steps/tla.step.ts': [
        'const ready = await Promise.resolve(7)',
        "export const config = { type: 'api', name: 'Tla', path: '/t', method: 'GET', emits: [] }",
        'export const handler = async () => ({ status: 200, body: { ready } })',
      ].join('\n'),
    };

    test('a step require() can load gets no loader thread, with ESM meaning kept', async () => {
      const root = tempProject(files);
      try {
        const plain = await loadIn(root, 'steps/plain.step.ts', 'TRIGGER_KIND_API');
        assert.deepEqual(body(plain), {
          twice: 4,
          helper: pathToFileURL(join(root, 'steps/helper.ts')).href,
          me: pathToFileURL(join(root, 'steps/plain.step.ts')).href,
          hello: 'hello 42',
        });
        // top-level await needs the ES module loader: one thread more
        const tla = await loadIn(root, 'steps/tla.step.ts', 'TRIGGER_KIND_API');
        assert.deepEqual(body(tla), { ready: 7 });
        assert.ok((tla.threads ?? 0) > (plain.threads ?? 0), `threads: ${plain.threads} then ${tla.threads}`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    test('a JavaScript step imports a TypeScript helper by its .js name', async () => {
      const root = tempProject(files);
      try {
        assert.equal(body(await loadIn(root, 'steps/twin.step.js', 'TRIGGER_KIND_API')), 42);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    test("a dynamic import() in the step still loads TypeScript when it runs", async () => {
      const root = tempProject(files);
      try {
        assert.equal(body(await loadIn(root, 'steps/lazy.step.ts', 'TRIGGER_KIND_API')), 'loaded later');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('failures', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['steps/syntax.step.ts', 'LOAD_ERROR', /^steps\/syntax\.step\.ts:2: Unexpected "=>"/],
      ['steps/syntax.step.js', 'LOAD_ERROR', /^steps\/syntax\.step\.js:3: Unexpected end of (file|input)/],
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
