// Imported first by the worker entry (worker.ts), before anything it bundles runs.
//
// Two packages the worker loads compile a WebAssembly module as they load, only to
// speed up work a worker hardly does: `long` (through protobufjs) for 64-bit
// multiply and divide, and tsx for the lexer that tells whether a .js file is an ES
// module (it falls back to a JavaScript lexer that gives the same answers). The
// first WebAssembly module brings V8's wasm engine into the process: ~1 MiB of
// idle RSS per worker (docs/performance.md). Both look for `WebAssembly` when they
// load, so it is out of sight until then; restoreWebAssembly() puts it back before
// any project code runs, which sees the global exactly as Node made it.

const globals = globalThis as { WebAssembly?: unknown };
const held = Object.getOwnPropertyDescriptor(globals, 'WebAssembly');
if (held !== undefined) delete globals.WebAssembly;

/** Puts `WebAssembly` back as it was (a no-op when it is already there). */
export function restoreWebAssembly(): void {
  if (held !== undefined && !Object.prototype.hasOwnProperty.call(globals, 'WebAssembly')) {
    Object.defineProperty(globals, 'WebAssembly', held);
  }
}
