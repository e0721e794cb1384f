// When the `motia` package is not installed, step files that import its types
// must still load. esbuild drops type-only imports, except where it cannot know
// a name is a type: `export { Handlers } from 'motia'`, or any import under
// `verbatimModuleSyntax`/`preserveValueImports`. Those are served a stub module
// whose exports are the names the importer asks for, all `undefined`.

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// `import {a, type b, c as d} from 'x'`, `import D, {a} from 'x'`,
// `import type {a} from 'x'` and `export {a} from 'x'`.
const NAMED_FROM = /\b(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*(['"])([^'"]+)\2/g;

export function isMotiaSpecifier(specifier: string): boolean {
  return specifier === 'motia' || specifier.startsWith('motia/');
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

/** ESM source of a stub exporting `names` (all undefined) and an empty default. */
export function stubSource(names: readonly string[]): string {
  const lines = ['export default {};'];
  for (const name of names) lines.push(`export const ${name} = undefined;`);
  return lines.join('\n') + '\n';
}
