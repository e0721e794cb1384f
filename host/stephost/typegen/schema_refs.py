"""`$ref` lookup inside one JSON Schema document, shared by both converters."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote


def resolve_ref(root: Any, ref: str) -> Any | None:
    """The schema `ref` points at inside `root`, or None when it points elsewhere.

    Only local refs are followed (`#`, `#/$defs/X`, `#/definitions/X`, any JSON
    pointer): step schemas arrive self-contained from the SDKs, and fetching a
    remote schema while writing types would be a surprise.
    """
    if not ref.startswith("#"):
        return None
    pointer = unquote(ref[1:])
    if pointer == "":
        return root
    if not pointer.startswith("/"):
        return None  # a named anchor (`#foo`): not produced by zod or Pydantic
    node = root
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def def_name(ref: str) -> str:
    """The last segment of a ref, e.g. `Section` for `#/$defs/Section` (`Root` for `#`)."""
    tail = unquote(ref.rstrip("/")).rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
    return tail if tail and tail != "#" else "Root"
