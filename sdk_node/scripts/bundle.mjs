// Build step (`npm run build`), after tsc: dist/worker.js, the entry the host
// starts, becomes one ES module holding the SDK and the CommonJS packages it
// needs before Hello (@grpc/grpc-js, protobufjs). Resolving, reading and
// compiling their ~130 files one by one cost every worker start ~30 ms of CPU
// and ~2 MiB. tsc's per-file output stays beside it for everything else
// (motia-hooks.js runs on the loader thread; tests and testing.js import modules).
//
// Left out, loaded from node_modules as before:
// - tsx: it finds its loader-thread hooks next to its own files (import.meta.url);
// - esbuild: it locates its binary from its own path;
// - zod, zod-to-json-schema: required only when a config holds a zod schema.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  absWorkingDir: PACKAGE_DIR,
  entryPoints: ['src/worker.ts'],
  outfile: 'dist/worker.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['tsx', 'esbuild', 'zod', 'zod-to-json-schema'],
  // The bundled CommonJS code calls require() (node: built-ins, JSON); an ES module has none.
  banner: {
    js: "import { createRequire as __stephostRequire } from 'node:module';\nconst require = __stephostRequire(import.meta.url);",
  },
  // Written but not linked: with --enable-source-maps Node would parse the map
  // (2 MB, mostly grpc-js) at every start, +20 ms and +12 MiB. SDK frames in
  // stack traces name dist/worker.js lines; the bundle is not minified.
  sourcemap: 'external',
  logLevel: 'warning',
});
