// When the `motia` package is not installed, step files that import its types
// must still load. esbuild drops type-only imports, except where it cannot know
// a name is a type: `export { Handlers } from 'motia'`, or any import under
// `verbatimModuleSyntax`/`preserveValueImports`. Those are served a stub module
// whose exports are the names the importer asks for, all `undefined`, except
// Motia's two value helpers `defineConfig` and `config`, which are identity
// functions (a project's `motia.config.ts` calls one of them).
//
// `motia.config.ts` also imports plugin and adapter packages (`@motiadev/*`).
// stephost needs none of them, so a missing one is served a stub whose default
// export and named exports are all no-op functions returning `{}`.

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// `import {a, type b, c as d} from 'x'`, `import D, {a} from 'x'`,
// `import type {a} from 'x'` and `export {a} from 'x'`.
const NAMED_FROM = /\b(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*(['"])([^'"]+)\2/g;

/** Motia's value exports that are identity helpers: `defineConfig({...})` returns its argument. */
export const MOTIA_IDENTITY_HELPERS: readonly string[] = ['config', 'defineConfig'];

export function isMotiaSpecifier(specifier: string): boolean {
  return specifier === 'motia' || specifier.startsWith('motia/');
}

/** Motia's plugin and adapter packages, e.g. `@motiadev/plugin-logs/plugin`. */
export function isMotiaPluginSpecifier(specifier: string): boolean {
  return specifier.startsWith('@motiadev/') && specifier.length > '@motiadev/'.length;
}

/** Which stub a missing package gets, or undefined when it gets none. */
export type StubKind = 'motia' | 'plugin';

export function stubKindOf(specifier: string): StubKind | undefined {
  if (isMotiaSpecifier(specifier)) return 'motia';
  if (isMotiaPluginSpecifier(specifier)) return 'plugin';
  return undefined;
}

/**
 * Packages the SDK lends to a project that does not install them. Motia projects
 * list `zod` beside `motia` and write `import { z } from 'zod'`; a project run
 * without `npm install` gets the SDK's own copy (the one its schema conversion
 * uses anyway). A project's own installed zod always wins: this is only a
 * fallback after normal resolution failed.
 */
export function isLentSpecifier(specifier: string): boolean {
  return specifier === 'zod' || specifier.startsWith('zod/');
}

/** The names `source` imports or re-exports from `specifier`, as exported by it. */
export function namesImportedFrom(source: string, specifier: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(NAMED_FROM)) {
    if (match[3] !== specifier || match[1] === undefined) continue;
    const list = match[1].replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
    for (const raw of list.split(',')) {
      const name = raw.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]?.trim() ?? '';
      if (name !== 'default' && IDENTIFIER.test(name)) names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * ESM source of a stub exporting `names`.
 * - `motia`: an empty default, `defineConfig`/`config` as identity functions
 *   (always, so `import * as motia` works too), every other name `undefined`.
 * - `plugin`: a default and every name a no-op function returning `{}`; a plain
 *   `function`, so `new RedisStateAdapter(...)` works as well as a call.
 */
export function stubSource(names: readonly string[], kind: StubKind = 'motia'): string {
  if (kind === 'plugin') {
    const lines = ['const stub = () => function () { return {}; };', 'export default stub();'];
    for (const name of names) lines.push(`export const ${name} = stub();`);
    return lines.join('\n') + '\n';
  }
  const lines = ['export default {};'];
  for (const name of [...new Set([...names, ...MOTIA_IDENTITY_HELPERS])].sort()) {
    lines.push(
      MOTIA_IDENTITY_HELPERS.includes(name)
        ? `export const ${name} = (value) => value;`
        : `export const ${name} = undefined;`,
    );
  }
  return lines.join('\n') + '\n';
}
