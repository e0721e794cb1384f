"""Building HTTP responses: JSON errors, handler results, CORS headers."""

from __future__ import annotations

import json
from typing import Any

from quart import Response

from stephost.settings import CorsSettings
from stephost.types import ApiResult

_CONTENT_TYPES = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "bytes": "application/octet-stream",
}


def json_response(status: int, body: dict[str, Any], trace_id: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer of the host's own (errors, built-ins); always carries the trace id."""
    response = Response(json.dumps({**body, "traceId": trace_id}), status=status, content_type="application/json")
    response.headers["x-trace-id"] = trace_id
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def result_response(result: ApiResult, trace_id: str) -> Response:
    """A handler's answer as it gave it: status, headers, body; content type from the body's kind."""
    response = Response(result.body, status=result.status)
    # Quart sets a default content type; only ours or the handler's may stand.
    del response.headers["content-type"]
    for name, value in result.headers:
        response.headers.add(name, value)
    if "content-type" not in response.headers and result.body_kind in _CONTENT_TYPES:
        response.headers["content-type"] = _CONTENT_TYPES[result.body_kind]
    response.headers["x-trace-id"] = trace_id
    return response


def add_cors_headers(response: Response, cors: CorsSettings, origin: str | None) -> None:
    """Motia's open defaults: any origin, method and header, unless the project narrows them."""
    allowed = cors.allow_origin(origin)
    if allowed is None:
        return
    headers = response.headers
    headers.setdefault("access-control-allow-origin", allowed)
    if allowed != "*":
        headers.add("vary", "Origin")
    headers.setdefault("access-control-allow-methods", "*")
    headers.setdefault("access-control-allow-headers", "*")
    headers.setdefault("access-control-expose-headers", "*")
    headers.setdefault("access-control-max-age", str(cors.max_age_s))
    if cors.allow_credentials:
        headers.setdefault("access-control-allow-credentials", "true")
    headers.setdefault("access-control-allow-private-network", "true")
