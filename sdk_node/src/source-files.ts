// Hello.source_files: the project's own files the step file loaded (itself and
// its helper modules, never installed packages), so that `dev` restarts the
// worker when one of them changes.
//
// Files arrive two ways. ES modules (and everything tsx compiles for them) pass
// the ESM `load` hook in motia-hooks.ts, which runs on Node's hooks thread and
// posts each project file's path through a MessagePort; the main thread drains
// that port synchronously once the step's import has resolved. CommonJS modules
// (a CJS project's .js files, and the .ts files tsx's CJS hook compiles through
// `require`) land in `require.cache`. Shared by both threads: keep it free of
// imports beyond node built-ins.

import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders of installed packages: never the project's own source, wherever they sit. */
const INSTALLED_FOLDERS = new Set(['node_modules']);

/** The SDK's own compiled modules (the motia stubs among them). */
export const SDK_DIR = dirname(fileURLToPath(import.meta.url));

/** What the hooks thread needs to pick project files; sent as `register`'s `data`. */
export interface SourceFileScope {
  /** The project root as given and as a real path (module URLs are real paths). */
  roots: string[];
}

/** The message the hooks thread posts per project file it loads. */
export interface SourceFileMessage {
  sourceFile: string;
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export function scopeOf(projectRoot: string): SourceFileScope {
  const root = resolve(projectRoot);
  return { roots: [...new Set([root, realpathOr(root)])] };
}

function isInside(parent: string, file: string): boolean {
  const rel = relative(parent, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** True for an absolute file path below a project root, outside node_modules and outside the SDK. */
export function isProjectFile(file: string, scope: SourceFileScope): boolean {
  if (!isAbsolute(file) || isInside(SDK_DIR, file)) return false;
  return scope.roots.some((root) => {
    if (!isInside(root, file)) return false;
    const folders = relative(root, file).split(sep).slice(0, -1);
    return !folders.some((folder) => INSTALLED_FOLDERS.has(folder));
  });
}

/** The file path of a module URL when it is a project file (query and hash dropped), else undefined. */
export function projectFileOfUrl(url: string, scope: SourceFileScope): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  let file: string;
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    file = fileURLToPath(parsed);
  } catch {
    return undefined;
  }
  return isProjectFile(file, scope) ? file : undefined;
}

/**
 * The step file, plus every candidate that is a project file: absolute real
 * paths, sorted, without repeats.
 */
export function sourceFileList(stepFile: string, candidates: Iterable<string>, scope: SourceFileScope): string[] {
  const found = new Set<string>([realpathOr(resolve(stepFile))]);
  for (const candidate of candidates) {
    if (isProjectFile(candidate, scope)) found.add(realpathOr(candidate));
  }
  return [...found].sort();
}
