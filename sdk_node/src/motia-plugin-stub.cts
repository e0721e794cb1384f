// What `require('@motiadev/<anything>')` returns when that package is not
// installed (see motia-names.ts): callable itself, and any name read off it is a
// no-op function returning `{}`, as is `.default` (with `__esModule`, so a
// compiled default import picks `.default`).
//
// esbuild's interop for default and namespace imports (`__toESM`) copies the
// module's *own* keys, which a Proxy reports only through `ownKeys`: the names
// importers ask for are registered by loader.ts, under the symbol below, before
// this module is required by them.
const NAMES = Symbol.for('stephost.motiaPluginStubNames');
const made = new Map<string, () => object>();
const noop = (): (() => object) =>
  function () {
    return {};
  };
const registered = (): ReadonlySet<string> =>
  ((globalThis as Record<symbol, unknown>)[NAMES] as Set<string> | undefined) ?? new Set<string>();
const named = (key: string): (() => object) => {
  let fn = made.get(key);
  if (!fn) made.set(key, (fn = noop()));
  return fn;
};

module.exports = new Proxy(noop(), {
  get(target, key, receiver) {
    if (typeof key === 'symbol') return Reflect.get(target, key, receiver);
    if (key === '__esModule') return true;
    // Not thenable: `await import(...)` of this module must not hang.
    if (key === 'then') return undefined;
    if (key !== 'default' && key in target) return Reflect.get(target, key, receiver);
    return named(key);
  },
  ownKeys(target) {
    return [...new Set([...Reflect.ownKeys(target), 'default', ...registered()])];
  },
  getOwnPropertyDescriptor(target, key) {
    const own = Reflect.getOwnPropertyDescriptor(target, key);
    if (own || typeof key === 'symbol') return own;
    if (key !== 'default' && !registered().has(key)) return undefined;
    return { value: named(key), writable: true, enumerable: true, configurable: true };
  },
});
