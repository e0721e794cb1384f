"""Building HTTP responses: JSON errors, handler results, CORS headers."""

from __future__ import annotations

from typing import Any

from quart import Response

from stephost import json_codec
from stephost.settings import CorsSettings

CONTENT_TYPES = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "bytes": "application/octet-stream",
}


def json_body(body: dict[str, Any], trace_id: str) -> bytes:
    """The host's own JSON answers always carry the trace id."""
    return json_codec.dumps({**body, "traceId": trace_id})


def json_response(status: int, body: dict[str, Any], trace_id: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer of the host's own (errors, built-ins); always carries the trace id."""
    response = Response(json_body(body, trace_id), status=status, content_type="application/json")
    response.headers["x-trace-id"] = trace_id
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def cors_headers(cors: CorsSettings, origin: str | None) -> list[tuple[bytes, bytes]]:
    """Motia's open defaults: any origin, method and header, unless the project narrows them.

    Each is added unless the response already has that header; `vary` is always added."""
    allowed = cors.allow_origin(origin)
    if allowed is None:
        return []
    out = [(b"access-control-allow-origin", allowed.encode("latin-1", "replace"))]
    if allowed != "*":
        out.append((b"vary", b"Origin"))
    out += _OPEN_CORS
    out.append((b"access-control-max-age", str(cors.max_age_s).encode()))
    if cors.allow_credentials:
        out.append((b"access-control-allow-credentials", b"true"))
    out.append((b"access-control-allow-private-network", b"true"))
    return out


_OPEN_CORS = [
    (b"access-control-allow-methods", b"*"),
    (b"access-control-allow-headers", b"*"),
    (b"access-control-expose-headers", b"*"),
]


def add_cors_headers(response: Response, cors: CorsSettings, origin: str | None) -> None:
    """The CORS headers of `cors_headers` on a Quart response."""
    headers = response.headers
    for name, value in cors_headers(cors, origin):
        key, text = name.decode(), value.decode("latin-1")
        if key == "vary":
            headers.add(key, text)
        else:
            headers.setdefault(key, text)
