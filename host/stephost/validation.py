"""JSON Schema checks of request bodies, query parameters, emitted data and responses.

Schemas are compiled once, when the registry is built; each check returns every
problem as {path, message}, with paths like `body.items[2].name`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.protocols import Validator


@cache
def _formats() -> FormatChecker:
    # jsonschema is imported on first use: the host imports it while its workers start
    # (stephost.app.SERVING_MODULES), CLI commands that check no schema never do.
    from jsonschema import FormatChecker

    return FormatChecker()


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InvalidSchema(ValueError):
    """Raised when a step declares a schema that is not valid JSON Schema."""


def _join(root: str, parts: Any) -> str:
    out = root
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class CompiledSchema:
    """One schema, ready to check values against it."""

    def __init__(self, schema: Any) -> None:
        if schema is True or schema is None:
            schema = {}
        elif schema is False:
            schema = {"not": {}}
        if not isinstance(schema, dict):
            raise InvalidSchema(f"a schema must be an object, got {schema!r}")
        from jsonschema.exceptions import SchemaError
        from jsonschema.validators import Draft202012Validator, validator_for

        cls = validator_for(schema, default=Draft202012Validator)
        try:
            cls.check_schema(schema)
        except SchemaError as exc:
            raise InvalidSchema(f"not valid JSON Schema: {exc.message} (at {_join('schema', exc.path)})") from exc
        self._validator: Validator = cls(schema, format_checker=_formats())

    def problems(self, value: Any, root: str) -> list[Problem]:
        errors = sorted(self._validator.iter_errors(value), key=lambda e: (list(e.absolute_path), e.message))
        return [Problem(_join(root, e.absolute_path), e.message) for e in errors]


def compile_schema(schema: Any) -> CompiledSchema | None:
    """None when there is nothing to check (no schema given)."""
    if schema is None:
        return None
    return CompiledSchema(schema)


def unknown_query_params(query: dict[str, Any], declared: tuple[dict[str, Any], ...]) -> list[Problem]:
    """With `queryParams` declared, a parameter outside the list is refused."""
    names = {str(p["name"]) for p in declared}
    listed = ", ".join(sorted(names))
    return [
        Problem(f"query.{name}", f"unknown query parameter {name!r}; this route accepts: {listed}")
        for name in query
        if name not in names
    ]
