// What `require('motia')` returns when motia is not installed (see motia-names.ts).
// CommonJS reads names lazily off this object, so only the value helpers a
// project's motia.config uses need to exist: both are identity functions.
const identity = <T,>(value: T): T => value;
module.exports = { defineConfig: identity, config: identity };
