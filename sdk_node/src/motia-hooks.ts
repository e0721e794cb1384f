// ESM loader hooks (run on Node's hooks thread, registered by loader.ts after
// tsx, so they see every import first). Only a failed resolution of `motia`, of
// a `@motiadev/*` package, or of a package the SDK lends (see isLentSpecifier) is
// touched; everything else goes down the chain unchanged.

import { readFile } from 'node:fs/promises';
import type { LoadHook, ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isLentSpecifier, namesImportedFrom, stubKindOf, stubSource } from './motia-names.js';

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

export const load: LoadHook = async (url, context, nextLoad) => {
  if (!url.startsWith(`${STUB_URL}?`)) return nextLoad(url, context);
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
