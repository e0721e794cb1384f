"""The OpenAPI 3.1 document of a project's api steps: one operation per route.

Built from the validated step definitions alone, so the document served by a host
and the one `stephost openapi` writes are the same for the same steps. Paths, methods
and components come out in a fixed order, so the file diffs well.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from typing import Any

from stephost.config import HTTP_METHODS, StepDefinition
from stephost.openapi.schemas import SchemaComponents

OPENAPI_VERSION = "3.1.0"
# The route syntax of registry.compile_path: `:name`, `:name?` (optional), `*` (anything, `/` included).
_SEGMENT = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)(\?)?|\*")
_NAMED = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
_METHOD_RANK = {m: i for i, m in enumerate(HTTP_METHODS)}


@dataclass(frozen=True)
class ApiInfo:
    """The document's `info`."""

    title: str
    version: str = "0.0.0"
    description: str | None = None


def project_info(project: Path) -> ApiInfo:
    """Name, version and description from the project's package.json; else the folder's name and 0.0.0."""
    try:
        package = json.loads((project / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        package = {}
    if not isinstance(package, dict):
        package = {}

    def text(key: str) -> str | None:
        value = package.get(key)
        return value if isinstance(value, str) and value.strip() else None

    return ApiInfo(
        title=text("name") or project.resolve().name or "stephost",
        version=text("version") or "0.0.0",
        description=text("description"),
    )


@dataclass(frozen=True)
class _PathParam:
    name: str
    optional: bool = False
    wildcard: bool = False


@dataclass(frozen=True)
class _Template:
    """A route path in OpenAPI's `{name}` form."""

    shape: str  # params as `{}`: routes that differ only in param names share one path item
    params: tuple[_PathParam, ...]

    def render(self) -> str:
        pieces = self.shape.split("{}")
        out = pieces[0]
        for param, piece in zip(self.params, pieces[1:], strict=True):
            out += "{" + param.name + "}" + piece
        return out


def path_template(path: str) -> _Template:
    """`/orders/:id` -> `/orders/{id}`; a trailing slash is dropped (the host serves both)."""
    named = set(_NAMED.findall(path))
    candidates = itertools.chain(["wildcard"], (f"wildcard{i}" for i in itertools.count(2)))
    wildcards = (n for n in candidates if n not in named)
    params: list[_PathParam] = []
    shape = ""
    pos = 0
    for m in _SEGMENT.finditer(path):
        shape += _literal(path[pos : m.start()]) + "{}"
        if m.group(0) == "*":
            params.append(_PathParam(next(wildcards), wildcard=True))
        else:
            params.append(_PathParam(m.group(1), optional=bool(m.group(2))))
        pos = m.end()
    shape += _literal(path[pos:])
    if len(shape) > 1 and shape.endswith("/"):
        shape = shape.rstrip("/") or "/"
    return _Template(shape, tuple(params))


def _literal(text: str) -> str:
    # Braces would read as a template: a client sends them percent-encoded anyway.
    return text.replace("{", "%7B").replace("}", "%7D")


def openapi_document(steps: Iterable[StepDefinition], info: ApiInfo) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the api steps among `steps`; event, cron and noop steps have no route."""
    routes = sorted(
        ((path_template(s.path), s) for s in steps if s.type == "api" and s.path and s.method),
        key=lambda r: (r[0].shape, _METHOD_RANK.get(r[1].method or "", 0), r[1].name),
    )
    # One path item per shape, spelled with the param names of its first route: OpenAPI
    # forbids `/a/{id}` beside `/a/{key}`, and a client only fills the slots in.
    spelled: dict[str, _Template] = {}
    for template, _ in routes:
        spelled.setdefault(template.shape, template)
    components = SchemaComponents()
    paths: dict[str, dict[str, Any]] = {}
    tags: set[str] = set()
    for template, step in routes:
        path = spelled[template.shape]
        # this route's params (optional or not), under the names its path item spells
        own = _Template(
            path.shape, tuple(replace(p, name=q.name) for p, q in zip(template.params, path.params, strict=True))
        )
        paths.setdefault(path.render(), {})[str(step.method).lower()] = _operation(step, own, components)
        tags.update(step.flows)
    document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": _info(info)}
    if tags:
        document["tags"] = [{"name": t} for t in sorted(tags)]
    document["paths"] = dict(sorted(paths.items()))
    if components.schemas:
        document["components"] = {"schemas": dict(sorted(components.schemas.items()))}
    return document


def _info(info: ApiInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"title": info.title, "version": info.version}
    if info.description:
        out["description"] = info.description
    return out


def _operation(step: StepDefinition, template: _Template, components: SchemaComponents) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": step.name}
    description = (step.description or "").strip()
    if description:
        operation["summary"] = description.splitlines()[0].strip()
        if description != operation["summary"]:
            operation["description"] = description
    if step.flows:
        operation["tags"] = list(dict.fromkeys(step.flows))
    parameters = [_path_parameter(p) for p in template.params] + [_query_parameter(q) for q in step.query_params]
    if parameters:
        operation["parameters"] = parameters
    if step.body_schema is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": components.embed(step.body_schema, f"{step.name}Body")}},
        }
    operation["responses"] = _responses(step, components)
    return operation


def _path_parameter(param: _PathParam) -> dict[str, Any]:
    # OpenAPI path parameters are always required; the host's optional ones are noted instead.
    out: dict[str, Any] = {"name": param.name, "in": "path", "required": True, "schema": {"type": "string"}}
    if param.optional:
        out["description"] = f"optional: the route also matches without this segment (`:{param.name}?`)"
    elif param.wildcard:
        out["description"] = "any characters, `/` included (`*` in the route)"
    return out


def _query_parameter(param: dict[str, Any]) -> dict[str, Any]:
    # queryParams give a name and a description only; values arrive as strings.
    out: dict[str, Any] = {"name": str(param["name"]), "in": "query", "required": False}
    if isinstance(param.get("description"), str) and param["description"]:
        out["description"] = param["description"]
    out["schema"] = {"type": "string"}
    return out


def _responses(step: StepDefinition, components: SchemaComponents) -> dict[str, Any]:
    if not step.response_schema:
        return {"default": {"description": "the step's response (it declares no responseSchema)"}}
    out: dict[str, Any] = {}
    for status in sorted(step.response_schema, key=int):
        schema = step.response_schema[status]
        response: dict[str, Any] = {"description": _reason(int(status))}
        if schema is not None:
            embedded = components.embed(schema, f"{step.name}Response{status}")
            response["content"] = {"application/json": {"schema": embedded}}
        out[str(status)] = response
    return out


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"status {status}"
