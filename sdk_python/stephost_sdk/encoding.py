"""JSON in and out of the wire's `bytes` fields.

Every user value (bodies, state values, stream items, event data, log fields)
crosses as UTF-8 JSON. Users hand us Pydantic models, dataclasses, datetimes and
UUIDs as often as plain dicts, so anything pydantic-core knows how to make
JSON-able is accepted, and converted exactly as pydantic-core converts it;
everything else is refused with the type named.

pydantic-core is only imported when it is needed: loading it costs a worker
~13 ms and several MiB of RSS for its whole life, and most steps never hand us
anything it alone could convert. Until a step has loaded it (every Pydantic
user has), the usual non-JSON values (datetime, date, time, UUID, Decimal,
enums, sets, dataclasses of such values) are converted here with the standard
library into exactly what pydantic-core makes of them
(tests/unit/sdk_python/test_encoding.py holds the two side by side); anything
else goes to pydantic-core, imported then.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import sys
from typing import Any, Final

# Values json.dumps writes itself, the same way pydantic-core would.
_PLAIN: Final = frozenset({str, int, float, bool, type(None)})
# Below this many levels a value is left to pydantic-core (and its own limits).
_MAX_DEPTH: Final = 16
_UNHANDLED: Final = object()


def _jsonable(value: Any) -> Any:
    if "pydantic_core" not in sys.modules:
        # Without pydantic-core no Pydantic model, Pydantic dataclass or custom
        # serializer can exist, so the stdlib conversion cannot miss one.
        try:
            converted = _stdlib_jsonable(value)
        except Exception:
            # A tzinfo or property that raises: let pydantic-core decide, as before.
            converted = _UNHANDLED
        if converted is not _UNHANDLED:
            return converted
    import pydantic_core  # lazy on purpose, see the module docstring

    try:
        return pydantic_core.to_jsonable_python(value)
    except pydantic_core.PydanticSerializationError:
        raise TypeError(f"{type(value).__qualname__} is not JSON-serialisable") from None


def _stdlib_jsonable(value: Any) -> Any:
    """`value` as pydantic-core would make it JSON-able, or _UNHANDLED.

    Only called by json.dumps for values it cannot write itself. Containers
    returned here hold nothing json.dumps would write differently from
    pydantic-core (`_simple`), so the final text is the same either way.
    """
    leaf = _leaf(value)
    if leaf is not _UNHANDLED:
        return leaf
    cls = type(value)
    if cls is set or cls is frozenset:
        items = list(value)
        return items if all(_simple(item, 0) for item in items) else _UNHANDLED
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = _dataclass_fields(value)
        if fields is not None and all(_simple(item, 0) for item in fields.values()):
            return fields
    return _UNHANDLED


def _leaf(value: Any) -> Any:
    """The string (or scalar) pydantic-core writes for a scalar non-JSON value, or _UNHANDLED.

    Exact types only: a subclass may carry its own idea of its text form.
    """
    cls = type(value)
    # A module that is not loaded cannot have made `value`; this avoids importing any.
    datetime = sys.modules.get("datetime")
    if datetime is not None:
        if cls is getattr(datetime, "date", None):
            return value.isoformat()
        if cls is getattr(datetime, "datetime", None) or cls is getattr(datetime, "time", None):
            return _iso_with_offset(value, datetime.timedelta)
    uuid = sys.modules.get("uuid")
    if uuid is not None and cls is getattr(uuid, "UUID", None):
        return str(value)
    decimal = sys.modules.get("decimal")
    if decimal is not None and cls is getattr(decimal, "Decimal", None):
        return str(value)
    if isinstance(value, enum.Enum) and type(value.value) in _PLAIN:
        return value.value
    return _UNHANDLED


def _iso_with_offset(value: Any, timedelta: Any) -> Any:
    if value.tzinfo is None:
        return value.isoformat()
    offset = value.utcoffset()
    if offset is None or offset % timedelta(minutes=1):
        # Offsets pydantic-core rounds or omits in ways of its own.
        return _UNHANDLED
    text = value.isoformat()
    # pydantic-core writes UTC as "Z"; isoformat always ends with "+00:00" then.
    return text[:-6] + "Z" if not offset else text


def _dataclass_fields(value: Any) -> dict[str, Any] | None:
    """Every field of a dataclass instance (pydantic-core's order and names), or None if one is unset."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name, _UNHANDLED)
        if item is _UNHANDLED:
            return None
        out[field.name] = item
    return out


def _simple(value: Any, depth: int) -> bool:
    """True when json.dumps, with `_stdlib_jsonable` as default, writes `value`
    exactly as pydantic-core's conversion would.

    Plain values, the leaves above, and lists, tuples, str-keyed dicts, sets
    and dataclasses made of those. Other dict keys are not: pydantic-core
    writes e.g. a None key as "None" where json.dumps writes "null".
    """
    cls = type(value)
    if cls in _PLAIN:
        return True
    if depth >= _MAX_DEPTH:
        return False
    if cls is list or cls is tuple or cls is set or cls is frozenset:
        return all(_simple(item, depth + 1) for item in value)
    if cls is dict:
        return all(type(key) is str and _simple(item, depth + 1) for key, item in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = _dataclass_fields(value)
        return fields is not None and all(_simple(item, depth + 1) for item in fields.values())
    return _leaf(value) is not _UNHANDLED


def dumps(value: Any) -> bytes:
    """Serialise `value` to compact UTF-8 JSON.

    Raises TypeError naming the offending type, or ValueError for NaN and
    infinities (which JSON cannot carry).
    """
    return json.dumps(value, default=_jsonable, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def dumps_lenient(value: Any) -> bytes:
    """Like `dumps`, but what JSON cannot hold becomes text, value by value.

    For log fields: a log call must never raise because of what it was given
    (docs/protocol.md W-LOG-4), and must still send JSON (W-JSON-1).
    """
    return json.dumps(_lenient(value, set(), 0), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


# Past this depth a lenient value is cut to its repr: a log line, not a serialiser.
_LENIENT_DEPTH: Final = 64


def _lenient(value: Any, open_containers: set[int], depth: int) -> Any:
    """`value` with cycles as "[Circular]", non-finite floats and objects JSON has no
    form for as text, non-string keys as their text; everything else as `dumps` writes it."""
    cls = type(value)
    if cls is float and not math.isfinite(value):
        return str(value)
    if cls in _PLAIN:
        return value
    if depth >= _LENIENT_DEPTH:
        return repr(value)
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        if id(value) in open_containers:
            return "[Circular]"
        open_containers.add(id(value))
        try:
            if isinstance(value, dict):
                return {
                    key if isinstance(key, str) else str(key): _lenient(item, open_containers, depth + 1)
                    for key, item in value.items()
                }
            return [_lenient(item, open_containers, depth + 1) for item in value]
        finally:
            open_containers.discard(id(value))
    try:
        converted = _jsonable(value)
    except Exception:  # whatever the object does, the log line goes out
        return repr(value)
    return repr(value) if converted is value else _lenient(converted, open_containers, depth + 1)


def loads(data: bytes) -> Any:
    """Decode a JSON field; an empty field means null."""
    if not data:
        return None
    return json.loads(data)
