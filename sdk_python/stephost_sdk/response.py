"""Map what an API handler returned to an ApiResponse.

A handler returns `{"status", "body", "headers"}`. Like classic Motia, a Pydantic
model or a plain object returned as the whole response is read as that dict; the
body's Python type picks the body kind the host uses for content-type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import encoding
from ._pydantic import is_model
from .errors import InvalidResponseError
from .messages import ApiResponse, BodyKind


def to_api_response(result: Any) -> ApiResponse | None:
    """Return the ApiResponse for `result`, or None when the handler returned None.

    Raises InvalidResponseError for anything that is not a response object, a
    status that is not an int in 100..599, malformed headers, or a body that is
    not JSON-serialisable.
    """
    if result is None:
        return None
    fields = _as_mapping(result)
    status = _status(fields.get("status", 200))
    headers = _headers(fields.get("headers"))
    if "body" not in fields:
        return ApiResponse(status, headers, BodyKind.EMPTY, b"")
    kind, body = _body(fields["body"])
    return ApiResponse(status, headers, kind, body)


def _as_mapping(result: Any) -> Mapping[str, Any]:
    if isinstance(result, Mapping):
        return result
    if is_model(result):
        # Shallow on purpose: a `body` that is itself a model or bytes keeps its
        # type so that `_body` picks the right kind.
        return {name: getattr(result, name) for name in type(result).model_fields}
    as_dict = getattr(result, "_asdict", None)  # namedtuples
    if callable(as_dict):
        mapped = as_dict()
        if isinstance(mapped, Mapping):
            return mapped
    if not isinstance(result, (str, bytes, bytearray, list, tuple, int, float, bool)):
        attributes = getattr(result, "__dict__", None)
        if isinstance(attributes, dict):
            return attributes
    raise InvalidResponseError(
        f"an API handler must return a dict like {{'status': 200, 'body': ...}}, "
        f"got a value of type {type(result).__qualname__}"
    )


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise InvalidResponseError(f"response 'status' must be an HTTP status code (100-599), got {value!r}")
    return int(value)


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (list, tuple)) and all(isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in value):
        items = [(pair[0], pair[1]) for pair in value]
    else:
        raise InvalidResponseError(
            f"response 'headers' must be a dict of name to value, got {type(value).__qualname__}"
        )
    out: list[tuple[str, str]] = []
    for name, raw in items:
        if not isinstance(name, str):
            raise InvalidResponseError(f"response header names must be strings, got {name!r}")
        # A list value is one header line per element (set-cookie).
        for item in raw if isinstance(raw, (list, tuple)) else [raw]:
            if item is None:
                continue
            out.append((name, _header_value(name, item)))
    return tuple(out)


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise InvalidResponseError(
        f"response header {name!r} must be a string or a list of strings, got {type(value).__qualname__}"
    )


def _body(value: Any) -> tuple[BodyKind, bytes]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BodyKind.BYTES, bytes(value)
    if isinstance(value, str):
        return BodyKind.TEXT, value.encode("utf-8", errors="replace")
    try:
        return BodyKind.JSON, encoding.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidResponseError(f"response 'body' is not JSON-serialisable: {exc}") from None
