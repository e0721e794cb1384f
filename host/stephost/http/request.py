"""HTTP request -> the `req` payload a handler sees (spec §3)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from stephost import json_codec


class MalformedBody(ValueError):
    """Raised when a body declared as JSON does not parse; the message names the problem."""


def query_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Repeated keys become lists, single keys stay strings."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            existing = out[key]
            if isinstance(existing, list):
                existing.append(value)
            else:
                out[key] = [existing, value]
        else:
            out[key] = value
    return out


def parse_body(content_type: str, raw: bytes) -> Any:
    """JSON, urlencoded and text bodies are decoded; anything else gives `{}` like Motia."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        if not raw.strip():
            return {}
        try:
            return json_codec.loads(raw)
        except UnicodeDecodeError as exc:
            raise MalformedBody(f"malformed JSON body: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
        except json.JSONDecodeError as exc:
            raise MalformedBody(f"malformed JSON body: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if media == "application/x-www-form-urlencoded":
        return query_params(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
    if media.startswith("text/"):
        return raw.decode(errors="replace")
    return {}


def api_payload(
    *,
    method: str,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    path_params: dict[str, str],
    raw_body: bytes,
) -> dict[str, Any]:
    """The request object of spec §3: body, headers (lower-case), pathParams, queryParams, rawBody."""
    header_map: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        header_map[key] = f"{header_map[key]}, {value}" if key in header_map else value
    return {
        "body": parse_body(header_map.get("content-type", ""), raw_body),
        "headers": header_map,
        "pathParams": path_params,
        "queryParams": query_params(query),
        "rawBody": raw_body.decode(errors="replace"),
    }
