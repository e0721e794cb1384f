import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isMotiaPluginSpecifier, isMotiaSpecifier, namesImportedFrom, stubKindOf, stubSource } from '../src/motia-names.js';
import { SDK_ROOT } from './helpers/paths.js';

const requireDist = createRequire(join(SDK_ROOT, 'dist', 'worker.js'));

/** Evaluates an ESM stub's source and returns its namespace. */
async function importSource(source: string): Promise<Record<string, any>> {
  return (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as Record<string, any>;
}

describe('motia stub', () => {
  test('recognises motia specifiers only', () => {
    assert.equal(isMotiaSpecifier('motia'), true);
    assert.equal(isMotiaSpecifier('motia/types'), true);
    assert.equal(isMotiaSpecifier('motia-extra'), false);
    assert.equal(isMotiaSpecifier('@motiadev/core'), false);
  });

  test('finds the names a file imports or re-exports from motia', () => {
    const source = `
      import { ApiRouteConfig, type Handlers, EventConfig as EC } from 'motia'
      import Default, { FlowContext } from "motia"
      import type { CronConfig } from 'motia'
      import { z } from 'zod'
      export { StreamConfig, /* a comment */ NoopConfig, // trailing
      } from 'motia'
      import { Other } from 'motia/other'
    `;
    assert.deepEqual(namesImportedFrom(source, 'motia'), [
      'ApiRouteConfig',
      'CronConfig',
      'EventConfig',
      'FlowContext',
      'Handlers',
      'NoopConfig',
      'StreamConfig',
    ]);
    assert.deepEqual(namesImportedFrom(source, 'motia/other'), ['Other']);
  });

  test('recognises @motiadev packages as plugin stubs', () => {
    assert.equal(isMotiaPluginSpecifier('@motiadev/plugin-logs/plugin'), true);
    assert.equal(isMotiaPluginSpecifier('@motiadev/adapter-redis-state'), true);
    assert.equal(isMotiaPluginSpecifier('@motiadev/'), false);
    assert.equal(isMotiaPluginSpecifier('@motia/core'), false);
    assert.equal(stubKindOf('motia'), 'motia');
    assert.equal(stubKindOf('@motiadev/plugin-states/plugin'), 'plugin');
    assert.equal(stubKindOf('left-pad'), undefined);
  });

  test('the motia stub exports each name, a default, and defineConfig/config as identity functions', async () => {
    assert.equal(
      stubSource(['A', 'B']),
      'export default {};\nexport const A = undefined;\nexport const B = undefined;\n' +
        'export const config = (value) => value;\nexport const defineConfig = (value) => value;\n',
    );
    const ns = await importSource(stubSource(['Handlers', 'defineConfig']));
    const value = { streamAuth: {} };
    assert.equal(ns['defineConfig'](value), value);
    assert.equal(ns['config'](value), value);
    assert.equal(ns['Handlers'], undefined);
    assert.deepEqual(ns['default'], {});
  });

  test('the plugin stub: default and named exports are no-op functions returning {}', async () => {
    const ns = await importSource(stubSource(['RedisStateAdapter', 'other'], 'plugin'));
    assert.deepEqual(ns['default']({ printer: null }), {});
    assert.deepEqual(ns['other'](), {});
    assert.deepEqual(new ns['RedisStateAdapter']({ host: 'x' }), {});
  });

  test('the CommonJS stubs', async () => {
    const motia = requireDist('./motia-stub.cjs') as Record<string, any>;
    const value = { plugins: [] };
    assert.equal(motia['defineConfig'](value), value);
    assert.equal(motia['config'](value), value);

    const plugin = requireDist('./motia-plugin-stub.cjs') as any;
    assert.deepEqual(plugin({}), {});
    assert.equal(plugin.__esModule, true);
    assert.deepEqual(plugin.default({}), {});
    assert.deepEqual(plugin.AnyName(), {});
    assert.deepEqual(new plugin.SomeAdapter({}), {});
    assert.equal(plugin.AnyName, plugin.AnyName, 'one function per name');
    assert.equal(plugin.then, undefined, 'not thenable');
    assert.equal(await Promise.resolve(plugin), plugin);
    // Registered names (loader.ts does this for each importer) are own keys, so
    // interop helpers that copy own properties see them.
    const names = ((globalThis as any)[Symbol.for('stephost.motiaPluginStubNames')] ??= new Set<string>());
    names.add('RegisteredAdapter');
    const keys = Object.keys(plugin);
    assert.ok(keys.includes('default') && keys.includes('RegisteredAdapter'), keys.join(','));
    const copy = { ...plugin };
    assert.deepEqual(copy.RegisteredAdapter(), {});
  });
});
