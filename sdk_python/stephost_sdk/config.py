"""A step's `config` dict, made ready for Hello.config_json.

The host checks the config strictly; this module only makes it JSON: schemas
become JSON Schema, functions are removed (middleware is reported as a count),
and any value JSON cannot carry is refused with the path of the field, because
"Object of type function is not JSON serializable" names neither.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .schema import SchemaError, to_json_schema

# The keys whose values are schemas, converted by `to_json_schema`. `schema` is a
# stream file's item schema.
_SCHEMA_FIELDS = ("bodySchema", "input", "schema")


class ConfigError(ValueError):
    """Raised when a config cannot be serialised; the message names the field."""


@dataclass(frozen=True)
class SerialisedConfig:
    """The config as Hello carries it, and the middleware functions taken out of it."""

    config_json: bytes
    middleware_count: int
    middleware: tuple[Callable[..., Any], ...]


def serialise_config(config: Mapping[str, Any]) -> SerialisedConfig:
    """Convert `config` for the host without changing the user's dict."""
    out = dict(config)
    middleware = _pop_middleware(out)
    # canAccess guards stream subscriptions; functions cannot cross the wire and
    # the proto asks for every function to be removed.
    out.pop("canAccess", None)
    try:
        for name in _SCHEMA_FIELDS:
            if name in out:
                out[name] = to_json_schema(out[name], name)
        if "responseSchema" in out:
            out["responseSchema"] = _convert_response_schema(out["responseSchema"])
    except SchemaError as exc:
        raise ConfigError(str(exc)) from None
    _check_json(out, "")
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return SerialisedConfig(text.encode("utf-8"), len(middleware), middleware)


def _pop_middleware(config: dict[str, Any]) -> tuple[Callable[..., Any], ...]:
    raw = config.pop("middleware", None)
    if raw is None:
        return ()
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise ConfigError(f"config field 'middleware' must be a list of functions, got {type(raw).__name__}")
    for index, item in enumerate(raw):
        if not callable(item):
            raise ConfigError(f"config field 'middleware[{index}]' must be a function, got {type(item).__name__}")
    return tuple(raw)


def _convert_response_schema(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {status: to_json_schema(schema, f"responseSchema.{status}") for status, schema in value.items()}
    # A single schema instead of a {status: schema} map: convert it and let the
    # host's config check report the shape.
    return to_json_schema(value, "responseSchema")


def _check_json(value: Any, path: str) -> None:
    """Raise ConfigError naming the first value below `path` JSON cannot hold.

    Paths read like the user wrote them: `emits[0].topic`, `responseSchema.200`.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"config field {path!r} is {value}, which JSON cannot represent")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            # json.dumps turns these keys into strings, e.g. responseSchema {200: ...}.
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise ConfigError(f"config field {path!r} has a key of type {type(key).__name__}: {key!r}")
            _check_json(item, f"{path}.{key}" if path else str(key))
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]")
        return
    raise ConfigError(f"config field {path!r} is not JSON-serialisable (a value of type {type(value).__qualname__})")
