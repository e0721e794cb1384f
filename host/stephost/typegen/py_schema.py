"""JSON Schema -> Python type definitions (TypedDicts and aliases) that pass `mypy --strict`.

Step data reaches a Python handler as plain JSON values (dicts, lists, str, ...), so
objects become `TypedDict`s, never Pydantic models: `input["orderId"]` is what the
handler really gets. Each object schema is a class (nested ones are named after their
parent: `CreateOrderBodyCustomer`), each local `$ref` target a class or alias of its
own (`BuildReportSection`), and everything else an expression: `str`, `int`, `float`,
`bool`, `None`, `list[T]`, `dict[str, T]`, `Literal[...]`, `A | B`, `Any` for what
JSON Schema leaves open.

Definitions come out in dependency order, so the module imports cleanly; a
reference to a class defined later (a recursive schema) is quoted where Python
would evaluate it. What TypedDict cannot say: extra keys beside declared
properties are not typed, `allOf` only merges object schemas, and tuples become
lists (JSON arrays arrive as lists).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stephost.typegen.schema_refs import def_name, resolve_ref

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Names the generated module imports or defines itself, and builtins its annotations use.
RESERVED = frozenset(
    {
        "Any", "Awaitable", "Callable", "Iterator", "Literal", "Never", "NotRequired", "Protocol",
        "TypeAlias", "TypedDict", "overload", "annotations",
        "list", "dict", "str", "int", "float", "bool", "object", "type", "None", "True", "False",
    }
)  # fmt: skip


def pascal(text: str) -> str:
    """`order.created` -> `OrderCreated`, `orderStatus` -> `OrderStatus`; always an identifier."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", text) if p]
    name = "".join(p[0].upper() + p[1:] for p in parts)
    if not name:
        return "Unnamed"
    return name if not name[0].isdigit() else "N" + name


class NameAllocator:
    """Hands out unique identifiers for generated classes and aliases."""

    def __init__(self, reserved: Iterable[str] = RESERVED) -> None:
        self._taken: set[str] = set(reserved)

    def take(self, wanted: str) -> str:
        """`wanted` (made an identifier) if free, else `wanted2`, `wanted3`, ..."""
        base = pascal(wanted) if not _IDENTIFIER.match(wanted) or keyword.iskeyword(wanted) else wanted
        name, n = base, 1
        while name in self._taken:
            n += 1
            name = f"{base}{n}"
        self._taken.add(name)
        return name


@dataclass(frozen=True)
class PyType:
    """A type expression and the generated names it refers to."""

    text: str
    deps: frozenset[str] = frozenset()


ANY = PyType("Any")
NEVER = PyType("Never")
NONE = PyType("None")


def py_union(types: Iterable[PyType]) -> PyType:
    """`A | B`, flattened and without duplicates; `Any` absorbs everything, `Never` disappears."""
    texts: list[str] = []
    deps: set[str] = set()
    for t in types:
        if t.text == "Never":
            continue
        if t.text == "Any":
            return ANY
        for part in _top_level_split(t.text):
            if part not in texts:
                texts.append(part)
        deps |= t.deps
    if not texts:
        return NEVER
    literals = [t[len("Literal[") : -1] for t in texts if t.startswith("Literal[") and t.endswith("]")]
    if len(literals) > 1:  # `Literal['a'] | Literal['b']` reads better as `Literal['a', 'b']`
        first = next(i for i, t in enumerate(texts) if t.startswith("Literal["))
        others = [t for t in texts if not (t.startswith("Literal[") and t.endswith("]"))]
        texts = [*others[:first], f"Literal[{', '.join(literals)}]", *others[first:]]
    if "None" in texts:  # `X | None` reads best with None last
        texts = [t for t in texts if t != "None"] + ["None"]
    return PyType(" | ".join(texts), frozenset(deps))


def _top_level_split(text: str) -> list[str]:
    """`text` split at each `|` outside brackets and string literals."""
    parts: list[str] = []
    depth, start, quote, escaped = 0, 0, "", False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def py_literal(value: Any) -> str | None:
    """The `Literal[...]` member for a JSON scalar, or None when Literal cannot hold it."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    return None


@dataclass(frozen=True)
class PyDefinition:
    name: str
    code: str


@dataclass(frozen=True)
class _Where:
    root: Any
    prefix: str  # names the document's `$ref` targets: `BuildReport` + `Section`


@dataclass
class PySchemaConverter:
    """Defines Python types for schemas; read `definitions` (dependency order) when done."""

    names: NameAllocator = field(default_factory=NameAllocator)
    definitions: list[PyDefinition] = field(default_factory=list)
    _defined: set[str] = field(default_factory=set)
    _ref_names: dict[tuple[int, str], str] = field(default_factory=dict)
    _fields: dict[str, dict[str, str]] = field(default_factory=dict)

    def define(self, schema: Any, name: str, *, prefix: str | None = None, doc: str | None = None) -> str:
        """Define the already-allocated `name` as the type of `schema`; return `name`.

        An object schema becomes `class name(TypedDict)`; anything else `name: TypeAlias`.
        `prefix` names classes for the schema's `$ref` targets (default: `name`).
        """
        where = _Where(schema, prefix or name)
        t = self._type(schema, where, hint=name, class_name=name, doc=doc)
        if t.text != name:
            self.alias(name, t, doc=doc)
        return name

    def alias(self, name: str, t: PyType, *, doc: str | None = None) -> None:
        """`name: TypeAlias = t`, quoted when `t` refers to a name not yet defined."""
        value = t.text if t.deps <= self._defined else repr(t.text)
        comment = f"# {_line(doc)}\n" if doc else ""
        self._add(name, f"{comment}{name}: TypeAlias = {value}")

    def add_code(self, name: str, code: str) -> None:
        """A hand-written definition (a Protocol, say) in the same ordered list."""
        self._add(name, code)

    def expr(self, schema: Any, *, hint: str, prefix: str | None = None) -> PyType:
        """The type expression for `schema`, defining classes for the objects inside it."""
        return self._type(schema, _Where(schema, prefix or hint), hint=hint)

    def is_defined(self, name: str) -> bool:
        return name in self._defined

    def fields_of(self, name: str) -> dict[str, str] | None:
        """Key -> annotation of a TypedDict this converter defined; None for anything else."""
        return self._fields.get(name)

    def _add(self, name: str, code: str) -> None:
        self.definitions.append(PyDefinition(name, code))
        self._defined.add(name)

    # ------------------------------------------------------------------ dispatch

    def _type(
        self, s: Any, where: _Where, *, hint: str, class_name: str | None = None, doc: str | None = None
    ) -> PyType:
        if s is True or s is None:
            return ANY
        if s is False:
            return NEVER
        if not isinstance(s, dict):
            return ANY
        if isinstance(s.get("$ref"), str) and not any(k in s for k in ("type", "properties", "anyOf", "oneOf")):
            return self._ref(s["$ref"], where)
        if isinstance(s.get("allOf"), list) and s["allOf"]:
            merged = self._merge_objects(s, where)
            if merged is None:
                return ANY
            s = merged
        # With `type` beside `anyOf`, the type alone is kept: Python cannot intersect them.
        result = self._core(s, where, hint=hint, class_name=class_name, doc=doc)
        if result is None:
            for key in ("anyOf", "oneOf"):
                branches = s.get(key)
                if isinstance(branches, list) and branches:
                    hints = (f"{hint}Option{i}" for i in range(1, len(branches) + 1))
                    result = py_union(self._type(b, where, hint=h) for b, h in zip(branches, hints, strict=True))
        if result is None:
            result = ANY
        if s.get("nullable") is True:
            result = py_union([result, NONE])
        return result

    def _core(
        self, s: dict[str, Any], where: _Where, *, hint: str, class_name: str | None, doc: str | None
    ) -> PyType | None:
        if "const" in s:
            return _literal_type([s["const"]])
        if isinstance(s.get("enum"), list) and s["enum"]:
            return _literal_type(s["enum"])
        declared = s.get("type")
        if isinstance(declared, list):
            return py_union(self._single(t, s, where, hint, class_name, doc) for t in declared)
        if isinstance(declared, str):
            return self._single(declared, s, where, hint, class_name, doc)
        if any(k in s for k in ("properties", "additionalProperties", "patternProperties", "required")):
            return self._object(s, where, hint, class_name, doc)
        if any(k in s for k in ("items", "prefixItems")):
            return self._array(s, where, hint)
        return None

    def _single(
        self, kind: Any, s: dict[str, Any], where: _Where, hint: str, class_name: str | None, doc: str | None
    ) -> PyType:
        simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
        if kind in simple:
            return PyType(simple[kind])
        if kind == "array":
            return self._array(s, where, hint)
        if kind == "object":
            return self._object(s, where, hint, class_name, doc)
        return ANY

    # ------------------------------------------------------------------ shapes

    def _array(self, s: dict[str, Any], where: _Where, hint: str) -> PyType:
        items = s.get("items")
        prefix = s.get("prefixItems")
        members: list[Any] = []
        if isinstance(items, list):
            members = [*items, s.get("additionalItems", True)]
        elif isinstance(prefix, list):
            members = [*prefix, items if items is not None else True]
        else:
            members = [items if items is not None else True]
        item = py_union(self._type(m, where, hint=f"{hint}Item") for m in members if m is not False)
        return PyType(f"list[{item.text}]", item.deps)

    def _object(self, s: dict[str, Any], where: _Where, hint: str, class_name: str | None, doc: str | None) -> PyType:
        props: dict[str, Any] = dict(s["properties"]) if isinstance(s.get("properties"), dict) else {}
        required = [r for r in s.get("required") or [] if isinstance(r, str)]
        for key in required:
            props.setdefault(key, True)
        extra = s.get("additionalProperties")
        if not props:
            if extra is False:
                return PyType("dict[str, Never]")
            value = self._type(extra, where, hint=f"{hint}Value") if isinstance(extra, dict) else ANY
            return PyType(f"dict[str, {value.text}]", value.deps)
        name = class_name or self.names.take(hint)
        fields: list[tuple[str, PyType, bool, str | None]] = []
        for key, prop in props.items():
            t = self._type(prop, where, hint=f"{name}{pascal(key)}")
            description = prop.get("description") if isinstance(prop, dict) else None
            fields.append((key, t, key in required, description if isinstance(description, str) else None))
        description = s.get("description") if isinstance(s.get("description"), str) else None
        self._add(name, self._typeddict(name, fields, doc or description))
        self._fields[name] = {key: t.text if req else f"NotRequired[{t.text}]" for key, t, req, _ in fields}
        return PyType(name, frozenset({name}))

    def _typeddict(self, name: str, fields: list[tuple[str, PyType, bool, str | None]], doc: str | None) -> str:
        def annotation(t: PyType, required: bool, quote: bool) -> str:
            text = repr(t.text) if quote and not t.deps <= self._defined else t.text
            return text if required else f"NotRequired[{text}]"

        if all(_is_class_field(key) for key, *_ in fields):
            lines = [f"class {name}(TypedDict):"]
            if doc:
                lines.append(f'    """{docstring(doc)}"""')
                lines.append("")
            for key, t, required, description in fields:
                if description:
                    lines.append(f"    # {_line(description)}")
                # Annotations are not evaluated (`from __future__ import annotations`): no quoting needed.
                lines.append(f"    {key}: {annotation(t, required, quote=False)}")
            return "\n".join(lines)
        # Keys that are not identifiers need the call syntax, whose values Python evaluates now.
        items = ", ".join(f"{key!r}: {annotation(t, required, quote=True)}" for key, t, required, _ in fields)
        comment = f"# {_line(doc)}\n" if doc else ""
        return f"{comment}{name} = TypedDict({name!r}, {{{items}}})"

    def _merge_objects(self, s: dict[str, Any], where: _Where) -> dict[str, Any] | None:
        """`allOf` of object schemas as one object schema; None when a part is not an object."""
        merged: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
        props: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[str] = list(merged.get("required") or [])
        for part in s["allOf"]:
            seen: set[str] = set()
            while isinstance(part, dict) and isinstance(part.get("$ref"), str) and part["$ref"] not in seen:
                seen.add(part["$ref"])
                part = resolve_ref(where.root, part["$ref"])
            if not isinstance(part, dict) or not (part.get("type") == "object" or "properties" in part):
                return None
            props.update(part.get("properties") or {})
            required += [r for r in part.get("required") or [] if r not in required]
        merged.update({"type": "object", "properties": props, "required": required})
        return merged

    # ------------------------------------------------------------------ refs

    def _ref(self, ref: str, where: _Where) -> PyType:
        key = (id(where.root), ref)
        name = self._ref_names.get(key)
        if name is not None:
            return PyType(name, frozenset({name}))
        target = resolve_ref(where.root, ref)
        if target is None:
            return ANY
        name = self.names.take(where.prefix + pascal(def_name(ref)))
        self._ref_names[key] = name  # before converting: a recursive ref finds it
        t = self._type(target, where, hint=name, class_name=name)
        if t.text != name:
            self.alias(name, t)
        return PyType(name, frozenset({name}))


def _literal_type(values: list[Any]) -> PyType:
    literals = [py_literal(v) for v in values if v is not None]
    if any(lit is None for lit in literals):
        kinds = {_scalar_kind(v) for v in values}
        return py_union(PyType(k) for k in sorted(kinds))
    parts = [PyType(f"Literal[{', '.join(lit for lit in literals if lit is not None)}]")] if literals else []
    if any(v is None for v in values):
        parts.append(NONE)
    return py_union(parts)


def _is_class_field(key: str) -> bool:
    """Whether `key` can be a field in the class syntax (else the call syntax is used)."""
    return (
        bool(_IDENTIFIER.match(key)) and not keyword.iskeyword(key) and not key.startswith("__") and key not in RESERVED
    )


def _scalar_kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "str"
    return "float" if isinstance(value, (int, float)) else "Any"


def _line(text: str | None) -> str:
    return " ".join((text or "").split())


def docstring(text: str) -> str:
    """`text` on one line, safe inside triple double quotes."""
    return _line(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
