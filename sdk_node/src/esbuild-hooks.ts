// ESM loader hooks registered before tsx's (loader.ts), so they also apply while
// tsx's own modules load, on both threads: `import 'esbuild'` in the SDK's tsx is
// served esbuild-esm.js, which requires the CommonJS package rather than having
// Node's ES loader scan it for export names (see there why that matters).

import { createRequire, type ResolveHook } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

const ESBUILD_ESM = new URL('./esbuild-esm.js', import.meta.url).href;
/** The SDK's tsx only: a project's own tsx keeps its own esbuild. */
const TSX_DIR = `${pathToFileURL(dirname(createRequire(import.meta.url).resolve('tsx/package.json'))).href}/`;

export const resolve: ResolveHook = (specifier, context, nextResolve) => {
  if (specifier === 'esbuild' && context.parentURL?.startsWith(TSX_DIR)) {
    return { url: ESBUILD_ESM, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
};
