"""Step schemas made fit to live inside one OpenAPI 3.1 document.

Each schema a step declares is a document of its own: its local `$ref`s point into
itself (`#/$defs/Customer` from Pydantic, `#/definitions/__schema0` or `#` from zod 4,
`#/properties/billing` from zod-to-json-schema). Inside the OpenAPI document `#` is the
document's root, so a schema's definitions are hoisted into `components/schemas` and
every local ref is rewritten to where its target now lives; when a ref points into the
schema itself, the whole schema becomes a component too. The draft-07 spellings the
zod converters emit are turned into JSON Schema 2020-12, OpenAPI 3.1's dialect.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

COMPONENTS_PREFIX = "#/components/schemas/"
_DEF_KEYWORDS = ("$defs", "definitions")
# Keywords whose value is one subschema, a list of them, or a map of name -> subschema;
# every other keyword holds data (enum, const, default, examples...) and is copied as is.
_ONE = frozenset(
    {
        "additionalProperties",
        "additionalItems",
        "items",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    }
)
_MANY = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_MAP = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"})
# OpenAPI 3.1 allows only these characters in component names.
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")
# A part of one schema: ("$defs" or "definitions", name) for a definition, _ROOT for the schema itself.
_Key = tuple[str, str]
_ROOT: _Key = ("", "")

RefFix = Callable[[str], str]


class SchemaComponents:
    """The `components/schemas` of one document, filled as step schemas are embedded.

    Definitions of the same name and content (a `Customer` model used by two steps)
    become one component; a different definition under a taken name gets a suffix
    (`Customer_2`). Embedding in the same order gives the same names.
    """

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def embed(self, schema: Any, owner: str) -> Any:
        """Return `schema` ready to sit in an operation of the document.

        Its definitions join `self.schemas`. `owner` is the component name the schema
        itself takes when one of its refs points into it (e.g. `CreateOrderBody`).
        The step's schema is never modified.
        """
        if not isinstance(schema, dict):
            return schema  # true / false: valid schemas with nothing to rewrite
        if "$id" in schema:
            # Its own resource: local refs resolve against its $id wherever it sits.
            return copy.deepcopy(schema)
        parts: dict[_Key, Any] = {}
        root = {k: v for k, v in schema.items() if k != "$schema"}
        for keyword in _DEF_KEYWORDS:
            defs = root.get(keyword)
            if isinstance(defs, dict) and all(isinstance(d, (dict, bool)) for d in defs.values()):
                del root[keyword]
                parts.update({(keyword, name): d for name, d in defs.items()})
        parts[_ROOT] = root

        refers_to_root = False

        def probe(ref: str) -> str:
            nonlocal refers_to_root
            refers_to_root = refers_to_root or _target(ref, parts) == _ROOT
            return ref

        for part in parts.values():
            rewrite(part, probe)
        keys = [k for k in parts if k != _ROOT] + ([_ROOT] if refers_to_root else [])
        names = self._names(keys, parts, owner)

        fix = functools.partial(_rewritten_ref, parts=parts, names=names)
        for key in keys:
            self.schemas[names[key]] = rewrite(parts[key], fix)
        if refers_to_root:
            return {"$ref": COMPONENTS_PREFIX + names[_ROOT]}
        return rewrite(root, fix)

    def _names(self, keys: list[_Key], parts: dict[_Key, Any], owner: str) -> dict[_Key, str]:
        """A component name per part: its own name when free or holding the same content, else suffixed.

        A part's rewritten content depends on the names of the parts it refers to, so a
        rename can turn an equal part unequal: repeat until every name fits. Each round
        moves one part to a higher suffix, so this ends.
        """
        bases = {k: _component_name(owner if k == _ROOT else k[1]) for k in keys}
        suffix = dict.fromkeys(keys, 1)

        def name_of(key: _Key) -> str:
            return bases[key] if suffix[key] == 1 else f"{bases[key]}_{suffix[key]}"

        while True:
            names: dict[_Key, str] = {}
            clash = None
            for key in keys:
                while name_of(key) in names.values():  # two parts of this schema on one name
                    suffix[key] += 1
                names[key] = name_of(key)
            for key in keys:
                taken = self.schemas.get(names[key])
                fix = functools.partial(_rewritten_ref, parts=parts, names=names)
                if taken is not None and taken != rewrite(parts[key], fix):
                    clash = key
                    break
            if clash is None:
                return names
            suffix[clash] += 1


def rewrite(node: Any, fix_ref: RefFix) -> Any:
    """A copy of `node` with every `$ref` passed through `fix_ref` and draft-07 tuples made 2020-12."""
    if not isinstance(node, dict):
        return node
    if "$id" in node:
        return copy.deepcopy(node)  # a resource of its own: its refs are relative to it
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$schema":
            continue  # the document's dialect (2020-12) applies; only a resource root may say otherwise
        if key == "$ref" and isinstance(value, str):
            out[key] = fix_ref(value)
        elif key in _ONE:
            out[key] = [rewrite(v, fix_ref) for v in value] if isinstance(value, list) else rewrite(value, fix_ref)
        elif key in _MANY and isinstance(value, list):
            out[key] = [rewrite(v, fix_ref) for v in value]
        elif key in _MAP and isinstance(value, dict):
            out[key] = {k: rewrite(v, fix_ref) for k, v in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    # draft-07 tuples: `items: [...]` plus `additionalItems` are `prefixItems` plus `items` in 2020-12
    if isinstance(out.get("items"), list):
        out["prefixItems"] = out.pop("items")
        if "additionalItems" in out:
            out["items"] = out.pop("additionalItems")
    return out


def _pointer(ref: str) -> list[str] | None:
    """The JSON Pointer tokens of a local ref (`#/a/b` -> [a, b]); None for anything else."""
    if not ref.startswith("#"):
        return None  # another document: left as it is
    fragment = unquote(ref[1:])
    if fragment == "":
        return []
    if not fragment.startswith("/"):
        return None  # a named anchor (`#node`), found wherever the schema sits
    return [t.replace("~1", "/").replace("~0", "~") for t in fragment[1:].split("/")]


def _target(ref: str, parts: dict[_Key, Any]) -> _Key | None:
    """Which part of the schema a local ref points into; None when it is not local."""
    tokens = _pointer(ref)
    if tokens is None:
        return None
    if len(tokens) >= 2 and (tokens[0], tokens[1]) in parts:
        return (tokens[0], tokens[1])
    return _ROOT


def _rewritten_ref(ref: str, parts: dict[_Key, Any], names: dict[_Key, str]) -> str:
    target = _target(ref, parts)
    tokens = _pointer(ref)
    if target is None or tokens is None:
        return ref
    rest = tokens if target == _ROOT else tokens[2:]
    return COMPONENTS_PREFIX + "".join("/" + _escape(t) for t in [names[target], *rest])[1:]


def _escape(token: str) -> str:
    return quote(token.replace("~", "~0").replace("/", "~1"), safe="!$&'()*+,;=:@")


def _component_name(name: str) -> str:
    return _NOT_IN_NAME.sub("_", name) or "Schema"
