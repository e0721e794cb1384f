// Imports the one step file this worker runs and finds its config and handler.
// TypeScript and ESM/CJS interop are tsx's job (the loader Motia itself uses for
// .js steps); this module only decides what counts as a step.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import Module, { createRequire, register as registerHooks } from 'node:module';
import { extname, isAbsolute, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register as registerTsxCjs } from 'tsx/cjs/api';
import { register as registerTsxEsm } from 'tsx/esm/api';
import { middlewareOf, serialiseConfig, type StepConfig } from './config.js';
import { CONFIG_MISSING, HANDLER_MISSING, LOAD_ERROR, StepError } from './errors.js';
import { isLentSpecifier, isMotiaSpecifier } from './motia-names.js';
import { createSchemaConverter, type SchemaConverter } from './schema.js';

export type Handler = (...args: unknown[]) => unknown;
export type Middleware = (req: unknown, ctx: unknown, next: () => Promise<unknown>) => unknown;

export interface LoadedStep {
  file: string;
  /** `file` relative to the project root, used in every message that names it. */
  displayName: string;
  projectRoot: string;
  language: 'typescript' | 'javascript';
  config: StepConfig;
  /** Undefined only for steps that never run (noop steps, stream files). */
  handler: Handler | undefined;
  middleware: Middleware[];
  configJson: Record<string, unknown>;
  configBytes: Buffer;
  middlewareCount: number;
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

let registered = false;

/**
 * tsx's ESM and CJS hooks, then ours for a missing `motia`. Once per process:
 * hooks cannot be scoped to one project, and a worker only ever runs one.
 */
export function registerLoaders(projectRoot: string): void {
  if (registered) return;
  registered = true;
  const tsconfig = join(projectRoot, 'tsconfig.json');
  // tsconfig `paths` aliases come from the project's tsconfig. The CJS side
  // reads it from the working directory, which the host sets to the project root.
  registerTsxEsm(existsSync(tsconfig) ? { tsconfig } : {});
  registerTsxCjs();
  // Registered after tsx, so it runs first and sees tsx's resolution failures.
  registerHooks(new URL('./motia-hooks.js', import.meta.url));
  patchCjsMotiaResolution();
}

/**
 * require('motia') without motia installed -> the empty stub; require('zod')
 * without zod installed -> the SDK's own zod (see motia-names.ts).
 */
function patchCjsMotiaResolution(): void {
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = mod._resolveFilename;
  const stub = fileURLToPath(new URL('./motia-stub.cjs', import.meta.url));
  const sdkRequire = createRequire(import.meta.url);
  mod._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err;
      if (isMotiaSpecifier(request)) return stub;
      if (isLentSpecifier(request)) return sdkRequire.resolve(request);
      throw err;
    }
  };
}

export function languageOf(file: string): 'typescript' | 'javascript' {
  return TS_EXTENSIONS.has(extname(file).toLowerCase()) ? 'typescript' : 'javascript';
}

/** Stream files have a config and no handler, like noop steps. */
function isStreamFile(file: string): boolean {
  return /[._]stream\.[cm]?[jt]sx?$/i.test(file);
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

export interface LoadOptions {
  converter?: SchemaConverter;
}

export async function loadStep(stepFile: string, projectRoot: string, options: LoadOptions = {}): Promise<LoadedStep> {
  const file = resolvePath(stepFile);
  const root = resolvePath(projectRoot);
  const rel = relative(root, file);
  const displayName = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;

  if (!existsSync(file)) {
    throw new StepError(LOAD_ERROR, `${displayName}: step file not found`);
  }
  registerLoaders(root);

  let ns: Record<string, unknown>;
  try {
    ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    // The prefix makes every message name the step, whatever failed inside it.
    let message = `${displayName}: ${describe(err)}`;
    let detail = '';
    if (err instanceof SyntaxError && languageOf(file) === 'javascript') {
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

  const config = pick(ns, 'config');
  if (config === undefined || config === null) {
    throw new StepError(CONFIG_MISSING, `${displayName}: the step file exports no \`config\``);
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new StepError(LOAD_ERROR, `${displayName}: \`config\` must be an object, got ${Array.isArray(config) ? 'array' : typeof config}`);
  }
  const stepConfig = config as StepConfig;

  const handler = pick(ns, 'handler');
  const needsHandler = stepConfig['type'] !== 'noop' && !isStreamFile(file);
  if (handler !== undefined && typeof handler !== 'function') {
    throw new StepError(HANDLER_MISSING, `${displayName}: \`handler\` must be a function, got ${typeof handler}`);
  }
  if (handler === undefined && needsHandler) {
    throw new StepError(HANDLER_MISSING, `${displayName}: the step file exports no \`handler\``);
  }

  const converter = options.converter ?? createSchemaConverter(root);
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
    config: stepConfig,
    handler: handler as Handler | undefined,
    middleware: middlewareOf(stepConfig, displayName) as Middleware[],
    configJson: serialised.json,
    configBytes: serialised.bytes,
    middlewareCount: serialised.middlewareCount,
  };
}
