"""JSON Schema -> TypeScript type expressions.

Covers what zod (v3 and v4) and Pydantic produce and what people write by hand:
`type` (one or a list), objects with `required` / `additionalProperties`, arrays and
tuples, `enum`, `const`, `anyOf` / `oneOf` (union), `allOf` (intersection),
`nullable`, and local `$ref`s (`$defs`, `definitions`, any JSON pointer). Anything
it cannot express becomes `unknown`, never `any`, so a mistake still fails to
compile where it is used.

Objects are closed unless the schema says otherwise: an `additionalProperties`
schema becomes an index signature, while an absent one does not (as in Motia), so
an emitted payload with a misspelt key is caught.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from stephost.typegen.schema_refs import resolve_ref

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_STRUCTURAL = ("type", "properties", "additionalProperties", "items", "prefixItems", "enum", "const")


def ts_string(value: str) -> str:
    """A TypeScript string literal (JSON's escaping is valid TypeScript)."""
    return json.dumps(value, ensure_ascii=False)


def ts_key(name: str) -> str:
    """A property name, quoted unless it is an identifier."""
    return name if _IDENTIFIER.match(name) else ts_string(name)


def ts_literal(value: Any) -> str | None:
    """A literal type for a JSON scalar, or None for arrays and objects."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return ts_string(value)
    return None


def join_union(parts: list[str]) -> str:
    """`A | B`, without duplicates; `unknown` absorbs everything, `never` disappears."""
    unique = list(dict.fromkeys(p for p in parts if p != "never"))
    if not unique:
        return "never"
    if "unknown" in unique:
        return "unknown"
    return " | ".join(unique)


def join_intersection(parts: list[str]) -> str:
    """`A & B`, parenthesising unions; `unknown` is the identity."""
    unique = list(dict.fromkeys(p for p in parts if p != "unknown"))
    if not unique:
        return "unknown"
    if len(unique) == 1:
        return unique[0]
    return " & ".join(f"({p})" if _is_union(p) else p for p in unique)


def _is_union(text: str) -> bool:
    """Whether `text` has a `|` outside brackets and string literals."""
    depth = 0
    quoted = False
    escaped = False
    for ch in text:
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "{[(<":
            depth += 1
        elif ch in "}])>":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


@dataclass(frozen=True)
class _Where:
    root: Any  # the document `$ref`s resolve in
    owner: str  # names the document in SchemaDefs keys, e.g. `BuildReport.input`
    refs: tuple[str, ...] = ()  # refs being expanded: meeting one again means recursion


class TsSchemaConverter:
    """Converts schemas to type expressions; recursive `$ref` targets go to `defs`.

    A `$ref` is expanded in place, except when it refers to itself (a tree of
    sections): then its target is written once as a member of the `SchemaDefs`
    interface, keyed `"<owner>#/$defs/X"`, and referenced as `SchemaDefs["..."]`.
    """

    def __init__(self, defs_name: str = "SchemaDefs") -> None:
        self.defs_name = defs_name
        self.defs: dict[str, str] = {}

    def convert(self, schema: Any, *, owner: str, indent: int = 0) -> str:
        """The type of values `schema` accepts; multi-line objects indented from `indent`."""
        if schema is None:
            return "unknown"
        return self._type(schema, _Where(schema, owner), indent)

    # ------------------------------------------------------------------ dispatch

    def _type(self, s: Any, where: _Where, indent: int) -> str:
        if s is True:
            return "unknown"
        if s is False:
            return "never"
        if not isinstance(s, dict):
            return "unknown"
        parts: list[str] = []
        if isinstance(s.get("$ref"), str):
            parts.append(self._ref(s["$ref"], where, indent))
        core = self._core(s, where, indent)
        if core is not None:
            parts.append(core)
        for key in ("anyOf", "oneOf"):
            branches = s.get(key)
            if isinstance(branches, list) and branches:
                parts.append(join_union([self._type(b, where, indent) for b in branches]))
        if isinstance(s.get("allOf"), list) and s["allOf"]:
            parts.append(join_intersection([self._type(b, where, indent) for b in s["allOf"]]))
        result = join_intersection(parts) if parts else "unknown"
        if s.get("nullable") is True and result != "unknown":
            result = join_union([result, "null"])
        return result

    def _core(self, s: dict[str, Any], where: _Where, indent: int) -> str | None:
        """The type from `const`/`enum`/`type` (or the keywords implying one); None if none applies."""
        if "const" in s:
            return ts_literal(s["const"]) or "unknown"
        if isinstance(s.get("enum"), list):
            literals = [ts_literal(v) for v in s["enum"]]
            if all(lit is not None for lit in literals):
                return join_union([lit for lit in literals if lit is not None])
            return "unknown"
        declared = s.get("type")
        if isinstance(declared, list):
            return join_union([self._single(t, s, where, indent) for t in declared])
        if isinstance(declared, str):
            return self._single(declared, s, where, indent)
        if any(k in s for k in ("properties", "additionalProperties", "patternProperties", "required")):
            return self._object(s, where, indent)
        if any(k in s for k in ("items", "prefixItems")):
            return self._array(s, where, indent)
        return None

    def _single(self, kind: Any, s: dict[str, Any], where: _Where, indent: int) -> str:
        if kind == "string":
            return "string"
        if kind in ("number", "integer"):
            return "number"
        if kind == "boolean":
            return "boolean"
        if kind == "null":
            return "null"
        if kind == "array":
            return self._array(s, where, indent)
        if kind == "object":
            return self._object(s, where, indent)
        return "unknown"

    # ------------------------------------------------------------------ shapes

    def _object(self, s: dict[str, Any], where: _Where, indent: int) -> str:
        props: dict[str, Any] = s["properties"] if isinstance(s.get("properties"), dict) else {}
        required = [r for r in s.get("required") or [] if isinstance(r, str)]
        extra = s.get("additionalProperties")
        pad = " " * (indent + 2)
        lines: list[str] = []
        for name, prop in props.items():
            description = prop.get("description") if isinstance(prop, dict) else None
            if isinstance(description, str) and description.strip():
                lines.append(f"{pad}/** {doc_text(description)} */")
            optional = "" if name in required else "?"
            lines.append(f"{pad}{ts_key(name)}{optional}: {self._type(prop, where, indent + 2)}")
        for name in required:
            if name not in props:
                lines.append(f"{pad}{ts_key(name)}: unknown")
        pattern = s.get("patternProperties")
        value_schemas = [extra] if isinstance(extra, dict) else []
        if isinstance(pattern, dict):
            value_schemas += list(pattern.values())
        if value_schemas and not props:
            index = join_union([self._type(v, where, indent + 2) for v in value_schemas])
            lines.append(f"{pad}[key: string]: {index}")
        elif extra is True or value_schemas or (extra is None and not props):
            # With declared properties the index signature must cover their types too:
            # `unknown` does, and the declared properties keep their own types.
            lines.append(f"{pad}[key: string]: unknown")
        if not lines:
            return "Record<string, never>"
        return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"

    def _array(self, s: dict[str, Any], where: _Where, indent: int) -> str:
        items = s.get("items")
        prefix = s.get("prefixItems")
        if isinstance(items, list):  # draft-7 tuple: items list, then additionalItems
            prefix, rest = items, s.get("additionalItems", True)
        elif isinstance(prefix, list):  # 2020-12 tuple: prefixItems, then items
            rest = items if items is not None else True
        else:
            return f"Array<{self._type(items if items is not None else True, where, indent)}>"
        members = [self._type(p, where, indent) for p in prefix]
        if rest is not False:
            members.append(f"...Array<{self._type(rest, where, indent)}>")
        return "[" + ", ".join(members) + "]"

    # ------------------------------------------------------------------ refs

    def _ref(self, ref: str, where: _Where, indent: int) -> str:
        target = resolve_ref(where.root, ref)
        if target is None:
            return "unknown"
        if ref not in where.refs:
            return self._type(target, _Where(where.root, where.owner, (*where.refs, ref)), indent)
        key = f"{where.owner}{ref if ref.startswith('#') else '#' + ref}"
        if key not in self.defs:
            self.defs[key] = "unknown"  # placeholder while the target is converted
            self.defs[key] = self._type(target, _Where(where.root, where.owner, (ref,)), 4)
        return f"{self.defs_name}[{ts_string(key)}]"


def doc_text(text: str) -> str:
    """`text` on one line, safe inside a `/** ... */` comment."""
    return " ".join(text.split()).replace("*/", "*\\/")
