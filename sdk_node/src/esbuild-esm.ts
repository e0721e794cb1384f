// esbuild's API as an ES module, for tsx (see esbuild-hooks.ts). esbuild ships only
// CommonJS: imported as is, Node would first scan its 100 kB source for export
// names with cjs-module-lexer, a WebAssembly module set up once per thread. tsx
// imports it on both of the worker's threads (main and loader hooks): ~55 ms of
// CPU and ~6 MiB per worker in all. Required here instead, it is the very module
// object a require('esbuild') gets.

import { createRequire } from 'node:module';
import type * as Esbuild from 'esbuild';

const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;

export default esbuild;
export const {
  analyzeMetafile,
  analyzeMetafileSync,
  build,
  buildSync,
  context,
  formatMessages,
  formatMessagesSync,
  initialize,
  stop,
  transform,
  transformSync,
  version,
} = esbuild;
