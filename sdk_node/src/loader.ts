// Imports the one file this worker runs and finds what the host may call in it:
// a step's config and handler, a stream file's config and canAccess, or the
// project config's (motia.config.ts) streamAuth.authenticate. TypeScript and
// ESM/CJS interop are tsx's job (the loader Motia itself uses for .js steps);
// this module only decides what counts as a step.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire, register as registerHooks } from 'node:module';
import { basename, extname, isAbsolute, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type * as TsxCjs from 'tsx/cjs/api';
import type * as TsxEsm from 'tsx/esm/api';
import { middlewareOf, serialiseConfig, type StepConfig } from './config.js';
import { CONFIG_MISSING, HANDLER_MISSING, LOAD_ERROR, StepError } from './errors.js';
import { isLentSpecifier, namesImportedFrom, stubKindOf } from './motia-names.js';
import type { HooksData } from './motia-hooks.js';
import { createSchemaConverter, type SchemaConverter } from './schema.js';
import { scopeOf, sourceFileList, type SourceFileMessage } from './source-files.js';

export type Handler = (...args: unknown[]) => unknown;
export type Middleware = (req: unknown, ctx: unknown, next: () => Promise<unknown>) => unknown;

/**
 * What the file is: a step, a stream file (`*.stream.ts`: config, optional
 * canAccess, no handler) or the project's stream auth file (`motia.config.ts`:
 * `streamAuth.authenticate`).
 */
export type FileKind = 'step' | 'stream' | 'streamAuth';

export interface LoadedStep {
  file: string;
  /** `file` relative to the project root, used in every message that names it. */
  displayName: string;
  projectRoot: string;
  language: 'typescript' | 'javascript';
  kind: FileKind;
  /** The step's or stream's config; the project config for `streamAuth`. */
  config: StepConfig;
  /** Undefined only for steps that never run (noop steps, stream files, the stream auth file). */
  handler: Handler | undefined;
  middleware: Middleware[];
  /** Stream files: `config.canAccess(subscription, authContext)`, when given. */
  canAccess: Handler | undefined;
  /** The stream auth file: `streamAuth.authenticate(request)`, when given. */
  authenticate: Handler | undefined;
  /** Hello.functions: the optional functions above that exist, by their Motia names. */
  functions: string[];
  configJson: Record<string, unknown>;
  configBytes: Buffer;
  middlewareCount: number;
  /**
   * Hello.source_files: absolute real paths of the project's own files loaded by
   * the time the file was imported (itself and its helpers, not installed
   * packages), sorted.
   */
  sourceFiles: string[];
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

let registered = false;
let cjsRegistered = false;
/** The main thread's end of the port our ESM hooks post loaded project files to. */
let loadedFilesPort: MessagePort | undefined;
/**
 * Every project ES module reported so far. The port gives each file once per
 * process; like require.cache, this keeps them all, so a second file loaded in
 * the same process (never a worker's case) gets a superset, not a subset.
 */
const reportedEsmFiles = new Set<string>();

/**
 * tsx's CommonJS hooks and our resolution of a missing `motia`: enough to require()
 * a step, TypeScript or JavaScript, ESM syntax or not, in a project of either module
 * type (tsx compiles it to CommonJS on this thread; packages that are ES modules load
 * through Node's require(esm)). No loader thread: see importStep. Once per process.
 */
export function registerCjsLoader(): void {
  if (cjsRegistered) return;
  cjsRegistered = true;
  // tsx's CommonJS build, required: its ESM build would import esbuild as an ES module,
  // which makes Node scan esbuild's source for export names (see esbuild-esm.ts).
  //
  // It compiles what it has not cached with esbuild's transformSync. By default that starts
  // a worker thread and an `esbuild --service` child that stay for the worker's whole life
  // (~6 MiB in the worker, ~12 MiB in the child); when the thread goes, the child is left a
  // zombie. With ESBUILD_WORKER_THREADS=0, read once as esbuild loads (tsx loads it here),
  // each compile runs `esbuild` once and waits for it: nothing stays behind. The variable is
  // the worker's own business, so the step never sees it.
  const before = process.env['ESBUILD_WORKER_THREADS'];
  process.env['ESBUILD_WORKER_THREADS'] = '0';
  try {
    (createRequire(import.meta.url)('tsx/cjs/api') as typeof TsxCjs).register();
  } finally {
    if (before === undefined) delete process.env['ESBUILD_WORKER_THREADS'];
    else process.env['ESBUILD_WORKER_THREADS'] = before;
  }
  patchCjsMotiaResolution();
}

/**
 * tsx's ESM hooks (and the CommonJS ones of registerCjsLoader), then ours for a missing
 * `motia`. Once per process: hooks cannot be scoped to one project, and a worker only
 * ever runs one.
 */
export async function registerLoaders(projectRoot: string): Promise<void> {
  if (registered) return;
  registered = true;
  registerCjsLoader();
  // First, so that it applies to tsx's own ES modules: imported only after it (not
  // at the top of this file), they get esbuild without a CommonJS export scan.
  registerHooks(new URL('./esbuild-hooks.js', import.meta.url));
  const tsxEsm = (await import('tsx/esm/api')) as typeof TsxEsm;
  const tsconfig = join(projectRoot, 'tsconfig.json');
  // tsconfig `paths` aliases come from the project's tsconfig. The CJS side
  // reads it from the working directory, which the host sets to the project root.
  tsxEsm.register(existsSync(tsconfig) ? { tsconfig } : {});
  // Registered after tsx, so it runs first and sees tsx's resolution failures
  // and every file loaded (reported through the port for Hello.source_files).
  const { port1, port2 } = new MessageChannel();
  port1.unref();
  loadedFilesPort = port1;
  registerHooks<HooksData>(new URL('./motia-hooks.js', import.meta.url), {
    data: { port: port2, scope: scopeOf(projectRoot) },
    transferList: [port2],
  });
}

/** Errors of a require() that only Node's ES module loader can get past (top-level await). */
const NEEDS_ESM_LOADER = new Set(['ERR_REQUIRE_ASYNC_MODULE', 'ERR_REQUIRE_ESM']);
/** A dynamic import() in project code: the ES module loader must be there when it runs. */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/**
 * The file's module namespace. require() through tsx's CommonJS hooks when it can: on
 * Node 20, tsx's ES module hooks run on a loader thread of their own, which costs every
 * worker ~75 ms of CPU and ~14 MiB (docs/performance.md). The ES module loader is used
 * when only it can load the file: `.mts`/`.mjs`, top-level await in the file or in what it
 * imports (found when tsx compiles it, before it runs), or `STEPHOST_NODE_LOADER=esm`.
 * A project file with a dynamic import() gets it registered too (loadStep), so the import
 * works later exactly as it would have.
 */
async function importStep(file: string, root: string): Promise<Record<string, unknown>> {
  if (!/\.m[jt]s$/i.test(file) && process.env['STEPHOST_NODE_LOADER'] !== 'esm') {
    registerCjsLoader();
    let exports: unknown;
    let required = false;
    try {
      exports = createRequire(file)(file);
      required = true;
    } catch (err) {
      if (!NEEDS_ESM_LOADER.has(String((err as { code?: unknown }).code))) throw err;
    }
    if (required) {
      // The namespace import() would give for a CommonJS module: its exports as `default`,
      // beside its named exports.
      return { ...(isRecord(exports) ? exports : {}), default: exports };
    }
  }
  await registerLoaders(root);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function usesDynamicImport(sourceFile: string): boolean {
  try {
    return DYNAMIC_IMPORT.test(readFileSync(sourceFile, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The project files loaded so far: the ES modules our load hook reported (all
 * of them are queued on the port once the import that loaded them resolved)
 * and the CommonJS modules in require.cache, plus the step file itself.
 */
function loadedSourceFiles(file: string, root: string): string[] {
  const candidates: string[] = [];
  if (loadedFilesPort) {
    for (let next = receiveMessageOnPort(loadedFilesPort); next; next = receiveMessageOnPort(loadedFilesPort)) {
      const sourceFile = (next.message as Partial<SourceFileMessage> | null)?.sourceFile;
      if (typeof sourceFile === 'string') reportedEsmFiles.add(sourceFile);
    }
    candidates.push(...reportedEsmFiles);
  }
  candidates.push(...Object.keys(createRequire(import.meta.url).cache));
  return sourceFileList(file, candidates, scopeOf(root));
}

/**
 * require('motia') without motia installed -> the motia stub; a missing
 * `@motiadev/*` package -> the plugin stub; require('zod') without zod
 * installed -> the SDK's own zod (see motia-names.ts).
 */
function patchCjsMotiaResolution(): void {
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = mod._resolveFilename;
  const stubs = {
    motia: fileURLToPath(new URL('./motia-stub.cjs', import.meta.url)),
    plugin: fileURLToPath(new URL('./motia-plugin-stub.cjs', import.meta.url)),
  };
  const sdkRequire = createRequire(import.meta.url);
  mod._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err;
      const kind = stubKindOf(request);
      if (kind === 'plugin') registerPluginNames(request, rest[0]);
      if (kind) return stubs[kind];
      if (isLentSpecifier(request)) return sdkRequire.resolve(request);
      const typescript = typescriptTwin(request);
      if (typescript !== undefined) {
        try {
          return original.call(this, typescript, ...rest);
        } catch {
          // not there either: the original error names what was asked for
        }
      }
      throw err;
    }
  };
}

/**
 * `./x.js` written for the TypeScript file `./x.ts` (TypeScript's own convention for
 * ESM imports), from a JavaScript file too: tsx's ES module loader finds the .ts, its
 * CommonJS resolver only when the importer is TypeScript. Relative specifiers only.
 */
function typescriptTwin(request: string): string | undefined {
  if (!request.startsWith('.') && !isAbsolute(request)) return undefined;
  const twin = /\.([cm]?)js(x?)$/.exec(request);
  return twin ? `${request.slice(0, -twin[0].length)}.${twin[1] ?? ''}ts${twin[2] ?? ''}` : undefined;
}

/** Shared with motia-plugin-stub.cts, which cannot import this ESM module. */
const PLUGIN_STUB_NAMES = Symbol.for('stephost.motiaPluginStubNames');

/** Records the names `parent` imports from `request`, so the plugin stub can list them. */
function registerPluginNames(request: string, parent: unknown): void {
  const filename = (parent as { filename?: unknown } | null | undefined)?.filename;
  if (typeof filename !== 'string') return;
  let source: string;
  try {
    source = readFileSync(filename, 'utf8');
  } catch {
    return; // property reads on the stub still work; only esbuild's copy would miss names
  }
  const store = globalThis as Record<symbol, unknown>;
  const names = (store[PLUGIN_STUB_NAMES] ??= new Set<string>()) as Set<string>;
  for (const name of namesImportedFrom(source, request)) names.add(name);
}

export function languageOf(file: string): 'typescript' | 'javascript' {
  return TS_EXTENSIONS.has(extname(file).toLowerCase()) ? 'typescript' : 'javascript';
}

/** Stream files have a config and no handler, like noop steps. */
function isStreamFile(file: string): boolean {
  return /[._]stream\.[cm]?[jt]sx?$/i.test(file);
}

/** Motia's project config, which holds `streamAuth`: motia.config.ts/js/mjs/cjs. */
export function isProjectConfigFile(file: string): boolean {
  return /^motia\.config\.[cm]?[jt]s$/i.test(basename(file));
}

export function fileKindOf(file: string): FileKind {
  if (isProjectConfigFile(file)) return 'streamAuth';
  return isStreamFile(file) ? 'stream' : 'step';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

/**
 * Named exports first, then a default export carrying both. CommonJS
 * `module.exports = {config, handler}` arrives as the default export (Node's
 * named-export detection for CJS is best effort), so it is covered too.
 */
function pick(ns: Record<string, unknown>, key: 'config' | 'handler'): unknown {
  if (ns[key] !== undefined) return ns[key];
  const fallback = ns['default'];
  if (isRecord(fallback)) {
    if (fallback[key] !== undefined) return fallback[key];
    // A TS file compiled to CJS whose own `export default {config, handler}`
    // ends up one level deeper, under module.exports.default.
    const inner = fallback['default'];
    if (isRecord(inner) && inner[key] !== undefined) return inner[key];
  }
  return undefined;
}

/**
 * The project config: the default export (`export default defineConfig({...})`,
 * `module.exports = {...}`), else a `config` named export. A TS file compiled to
 * CommonJS arrives as its module object (`__esModule`), holding both one level down.
 */
function pickProjectConfig(ns: Record<string, unknown>): unknown {
  let fallback = ns['default'];
  let named = ns['config'];
  if (isRecord(fallback) && fallback['__esModule'] === true) {
    named ??= fallback['config'];
    fallback = fallback['default'];
  }
  return fallback ?? named;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Node's SyntaxError for an ES module carries no file or line (it is printed
 * only when the process dies of it). `node --check` on the step file recovers
 * "file:line" and the offending line; a clean check means the error is in a
 * module the step imports.
 */
function locateSyntaxError(file: string): string | undefined {
  const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  if (check.status === 0 || typeof check.stderr !== 'string') return undefined;
  const lines = check.stderr.split('\n');
  const end = lines.findIndex((line) => line.startsWith('SyntaxError'));
  const snippet = (end > 0 ? lines.slice(0, end) : lines.slice(0, 3)).join('\n').trimEnd();
  return snippet || undefined;
}

/** tsx's TransformError (esbuild could not compile a file): its first error's file, line and text. */
function transformFailureOf(err: unknown): { file: string; line: string; text: string } | undefined {
  const message = isRecord(err) ? err['message'] : undefined;
  if (typeof message !== 'string' || !message.startsWith('Transform failed')) return undefined;
  const first = /^(.+):(\d+):\d+: ERROR: (.+)$/m.exec(message);
  return first ? { file: first[1] ?? '', line: first[2] ?? '', text: first[3] ?? '' } : undefined;
}

function relativeTo(root: string, file: string): string {
  const rel = relative(root, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export interface LoadOptions {
  converter?: SchemaConverter;
}

export async function loadStep(stepFile: string, projectRoot: string, options: LoadOptions = {}): Promise<LoadedStep> {
  const file = resolvePath(stepFile);
  const root = resolvePath(projectRoot);
  const displayName = relativeTo(root, file);

  if (!existsSync(file)) {
    throw new StepError(LOAD_ERROR, `${displayName}: step file not found`);
  }
  let ns: Record<string, unknown>;
  try {
    ns = await importStep(file, root);
  } catch (err) {
    // The prefix makes every message name the step, whatever failed inside it.
    let message = `${displayName}: ${describe(err)}`;
    let detail = '';
    const failed = transformFailureOf(err);
    if (failed) {
      // tsx could not compile a file: name it by its place, as a syntax error would be.
      const where = `${relativeTo(root, failed.file)}:${failed.line}`;
      message =
        failed.file === file
          ? `${displayName}:${failed.line}: ${failed.text}`
          : `${displayName}: ${where}: ${failed.text}`;
    } else if (err instanceof SyntaxError && languageOf(file) === 'javascript') {
      const where = locateSyntaxError(file);
      const line = where?.split('\n')[0]?.match(/:(\d+)$/)?.[1];
      if (where && line) {
        message = `${displayName}:${line}: ${describe(err)}`;
        detail = `${where}\n\n`;
      } else {
        message += ' (in a module the step imports)';
      }
    }
    const error = new StepError(LOAD_ERROR, message, { cause: err });
    if (err instanceof Error && err.stack) error.stack = `${error.name}: ${error.message}\n${detail}${err.stack}`;
    throw error;
  }

  // Right after the import: what the file loaded at top level, nothing lazier.
  const sourceFiles = loadedSourceFiles(file, root);
  // Loaded with require(): a dynamic import() in project code needs the ES module loader
  // there when it runs (see importStep).
  if (!registered && sourceFiles.some(usesDynamicImport)) await registerLoaders(root);
  const kind = fileKindOf(file);
  const converter = options.converter ?? createSchemaConverter(root);
  if (kind === 'streamAuth') return streamAuthFile(ns, { file, displayName, root, converter, sourceFiles });

  const config = pick(ns, 'config');
  if (config === undefined || config === null) {
    throw new StepError(CONFIG_MISSING, `${displayName}: the step file exports no \`config\``);
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new StepError(LOAD_ERROR, `${displayName}: \`config\` must be an object, got ${Array.isArray(config) ? 'array' : typeof config}`);
  }
  const stepConfig = config as StepConfig;

  const handler = pick(ns, 'handler');
  const needsHandler = stepConfig['type'] !== 'noop' && kind !== 'stream';
  if (handler !== undefined && typeof handler !== 'function') {
    throw new StepError(HANDLER_MISSING, `${displayName}: \`handler\` must be a function, got ${typeof handler}`);
  }
  if (handler === undefined && needsHandler) {
    throw new StepError(HANDLER_MISSING, `${displayName}: the step file exports no \`handler\``);
  }

  // canAccess lives in a stream's config (as in Motia); like every function it
  // is left out of the config JSON and reported in Hello.functions instead.
  const canAccess = kind === 'stream' ? stepConfig['canAccess'] : undefined;
  if (canAccess !== undefined && canAccess !== null && typeof canAccess !== 'function') {
    throw new StepError(LOAD_ERROR, `${displayName}: config.canAccess must be a function, got ${typeName(canAccess)}`);
  }

  let serialised;
  try {
    serialised = serialiseConfig(stepConfig, converter, displayName);
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(LOAD_ERROR, `${displayName}: cannot convert config: ${describe(err)}`, { cause: err });
  }

  return {
    file,
    displayName,
    projectRoot: root,
    language: languageOf(file),
    kind,
    config: stepConfig,
    handler: handler as Handler | undefined,
    middleware: middlewareOf(stepConfig, displayName) as Middleware[],
    // Bound: Motia calls it as `config.canAccess(...)`.
    canAccess: typeof canAccess === 'function' ? (canAccess as Handler).bind(stepConfig) : undefined,
    authenticate: undefined,
    functions: typeof canAccess === 'function' ? ['canAccess'] : [],
    configJson: serialised.json,
    configBytes: serialised.bytes,
    middlewareCount: serialised.middlewareCount,
    sourceFiles,
  };
}

interface FileInfo {
  file: string;
  displayName: string;
  root: string;
  converter: SchemaConverter;
  sourceFiles: string[];
}

/**
 * The project config as the stream auth file. Only `streamAuth` matters to the
 * host: its Hello config is `{type: 'streamAuth', contextSchema}`. Plugins,
 * adapters, `app` and `redis` are Motia's own concerns and ignored. A config
 * without streamAuth (or no export at all) is valid and offers no function.
 */
function streamAuthFile(ns: Record<string, unknown>, info: FileInfo): LoadedStep {
  const { file, displayName, converter } = info;
  const found = pickProjectConfig(ns);
  const projectConfig = found ?? {};
  if (typeof projectConfig !== 'object' || projectConfig === null || Array.isArray(projectConfig)) {
    throw new StepError(
      LOAD_ERROR,
      `${displayName}: the default export must be the project config object ` +
        `(export default defineConfig({...})), got ${typeName(projectConfig)}`,
    );
  }
  const streamAuth = (projectConfig as Record<string, unknown>)['streamAuth'];
  let authenticate: unknown;
  let contextSchema: unknown = null;
  if (streamAuth !== undefined && streamAuth !== null) {
    if (typeof streamAuth !== 'object' || Array.isArray(streamAuth)) {
      throw new StepError(
        LOAD_ERROR,
        `${displayName}: streamAuth must be an object {authenticate, contextSchema?}, got ${typeName(streamAuth)}`,
      );
    }
    const auth = streamAuth as Record<string, unknown>;
    authenticate = auth['authenticate'];
    if (authenticate !== undefined && authenticate !== null && typeof authenticate !== 'function') {
      throw new StepError(
        LOAD_ERROR,
        `${displayName}: streamAuth.authenticate must be a function, got ${typeName(authenticate)}`,
      );
    }
    const schema = auth['contextSchema'];
    if (schema !== undefined && schema !== null) {
      try {
        contextSchema = converter.convert(schema, 'output', `${displayName}: streamAuth.contextSchema`);
      } catch (err) {
        const message = `${displayName}: cannot convert streamAuth.contextSchema: ${describe(err)}`;
        throw new StepError(LOAD_ERROR, message, { cause: err });
      }
    }
  }
  const configJson = { type: 'streamAuth', contextSchema };
  const text = JSON.stringify(configJson);
  return {
    file,
    displayName,
    projectRoot: info.root,
    language: languageOf(file),
    kind: 'streamAuth',
    config: projectConfig as StepConfig,
    handler: undefined,
    middleware: [],
    canAccess: undefined,
    // Bound: Motia calls it as `streamAuth.authenticate(request)`.
    authenticate: typeof authenticate === 'function' ? (authenticate as Handler).bind(streamAuth) : undefined,
    functions: typeof authenticate === 'function' ? ['authenticate'] : [],
    configJson: JSON.parse(text) as Record<string, unknown>,
    configBytes: Buffer.from(text, 'utf8'),
    middlewareCount: 0,
    sourceFiles: info.sourceFiles,
  };
}
