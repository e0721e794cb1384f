// ESM loader hooks (run on Node's hooks thread, registered by loader.ts after
// tsx, so they see every import first). Only a failed resolution of `motia`, of
// a `@motiadev/*` package, or of a package the SDK lends (see isLentSpecifier) is
// touched; everything else goes down the chain unchanged. Along the way, every
// project file loaded is reported to the main thread for Hello.source_files
// (see source-files.ts).

import { readFile } from 'node:fs/promises';
import type { InitializeHook, LoadHook, ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { isLentSpecifier, namesImportedFrom, stubKindOf, stubSource } from './motia-names.js';
import { projectFileOfUrl, type SourceFileMessage, type SourceFileScope } from './source-files.js';

const STUB_URL = new URL('./motia-stub.mjs', import.meta.url).href;

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    // The project has no zod of its own: resolve it as if the SDK imported it.
    if (isLentSpecifier(specifier)) return nextResolve(specifier, { ...context, parentURL: import.meta.url });
    if (stubKindOf(specifier) === undefined) throw err;
    // One stub per importer: its exports depend on what that file asks for.
    const url = new URL(STUB_URL);
    url.searchParams.set('specifier', specifier);
    if (context.parentURL) url.searchParams.set('importer', context.parentURL);
    return { url: url.href, format: 'module', shortCircuit: true };
  }
};

export interface HooksData {
  /** Where each project file loaded is posted ({sourceFile}); the main thread drains it. */
  port: MessagePort;
  scope: SourceFileScope;
}

let sourceFiles: { port: MessagePort; scope: SourceFileScope } | undefined;

export const initialize: InitializeHook<HooksData | undefined> = (data) => {
  // Registered without data (not by loader.ts): nothing is recorded.
  if (data?.port && data.scope) sourceFiles = { port: data.port, scope: data.scope };
};

export const load: LoadHook = async (url, context, nextLoad) => {
  if (!url.startsWith(`${STUB_URL}?`)) {
    const loaded = await nextLoad(url, context);
    if (sourceFiles) {
      // Posted before the result goes back, so it is queued by the time the import resolves.
      const sourceFile = projectFileOfUrl(url, sourceFiles.scope);
      if (sourceFile) sourceFiles.port.postMessage({ sourceFile } satisfies SourceFileMessage);
    }
    return loaded;
  }
  const params = new URL(url).searchParams;
  const specifier = params.get('specifier') ?? 'motia';
  const kind = stubKindOf(specifier) ?? 'motia';
  const importer = params.get('importer');
  let names: string[] = [];
  if (importer?.startsWith('file:')) {
    try {
      const file = new URL(importer);
      file.search = '';
      file.hash = '';
      names = namesImportedFrom(await readFile(fileURLToPath(file), 'utf8'), specifier);
    } catch {
      // Unreadable importer: an empty stub still satisfies namespace and default imports.
    }
  }
  return { format: 'module', source: stubSource(names, kind), shortCircuit: true };
};
