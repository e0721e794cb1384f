// tsx's `import 'esbuild'` is served an ES module re-exporting the CommonJS
// package (see src/esbuild-esm.ts): only for the SDK's tsx, and with every export.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as esm from '../src/esbuild-esm.js';
import { resolve } from '../src/esbuild-hooks.js';

const require = createRequire(import.meta.url);
const TSX_FILE = pathToFileURL(require.resolve('tsx/esm/api')).href;

type Next = Parameters<typeof resolve>[2];
const next: Next = async (specifier) => ({ url: `next:${specifier}` });
const context = (parentURL: string) => ({ parentURL, conditions: [], importAttributes: {}, importAssertions: {} });

describe('esbuild for tsx', () => {
  test("the SDK's tsx gets the ES module; anyone else resolves esbuild as usual", async () => {
    const served = await resolve('esbuild', context(TSX_FILE), next);
    assert.match(served.url, /\/esbuild-esm\.js$/);
    assert.equal(served.format, 'module');
    const projectTsx = pathToFileURL('/project/node_modules/tsx/dist/x.mjs').href;
    assert.equal((await resolve('esbuild', context(projectTsx), next)).url, 'next:esbuild');
    const lookalike = pathToFileURL(`${dirname(require.resolve('tsx/package.json'))}-other/x.mjs`).href;
    assert.equal((await resolve('esbuild', context(lookalike), next)).url, 'next:esbuild');
    assert.equal((await resolve('get-tsconfig', context(TSX_FILE), next)).url, 'next:get-tsconfig');
  });

  test('the ES module re-exports every export of the CommonJS package, as the same objects', () => {
    const cjs = require('esbuild') as Record<string, unknown>;
    const exported = esm as Record<string, unknown>;
    // `default` is module.exports itself, as in Node's own import of a CommonJS module.
    for (const name of Object.keys(cjs).filter((key) => key !== 'default')) {
      assert.equal(exported[name], cjs[name], name);
    }
    assert.equal((exported['default'] as Record<string, unknown>)['transform'], cjs['transform']);
  });
});
