"""JSON in and out of the wire's `bytes` fields.

Every user value (bodies, state values, stream items, event data, log fields)
crosses as UTF-8 JSON. Users hand us Pydantic models, dataclasses, datetimes and
UUIDs as often as plain dicts, so anything pydantic-core knows how to make
JSON-able is accepted; everything else is refused with the type named.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core


def _jsonable(value: Any) -> Any:
    try:
        return pydantic_core.to_jsonable_python(value)
    except pydantic_core.PydanticSerializationError:
        raise TypeError(f"{type(value).__qualname__} is not JSON-serialisable") from None


def dumps(value: Any) -> bytes:
    """Serialise `value` to compact UTF-8 JSON.

    Raises TypeError naming the offending type, or ValueError for NaN and
    infinities (which JSON cannot carry).
    """
    return json.dumps(value, default=_jsonable, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def dumps_lenient(value: Any) -> bytes:
    """Like `dumps`, but values JSON cannot hold become their repr.

    For log fields: a log call must never raise because of what it was given.
    """

    def fallback(obj: Any) -> Any:
        try:
            return _jsonable(obj)
        except TypeError:
            return repr(obj)

    try:
        return json.dumps(value, default=fallback, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError):
        # Non-string dict keys of odd types or circular references.
        return json.dumps({"data": repr(value)}).encode("utf-8")


def loads(data: bytes) -> Any:
    """Decode a JSON field; an empty field means null."""
    if not data:
        return None
    return json.loads(data)
