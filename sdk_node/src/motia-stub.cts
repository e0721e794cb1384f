// What `require('motia')` returns when motia is not installed (see motia-names.ts).
// CommonJS reads names lazily off this object, so an empty one is enough.
module.exports = {};
