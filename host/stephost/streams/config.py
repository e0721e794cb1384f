"""Stream file configs (`*.stream.ts`, `*_stream.py`), checked as strictly as step configs."""

from __future__ import annotations

from typing import Any

from stephost.errors import ConfigProblem
from stephost.streams.service import StreamDefinition
from stephost.validation import InvalidSchema, compile_schema

_KNOWN = {"name", "schema", "baseConfig", "description"}


def parse_stream_config(
    config: Any, *, file: str, functions: tuple[str, ...]
) -> StreamDefinition | list[ConfigProblem]:
    if not isinstance(config, dict):
        return [ConfigProblem(file, None, "config", f"must be an object, got {type(config).__name__}")]
    name = config.get("name") if isinstance(config.get("name"), str) else None
    problems: list[ConfigProblem] = []

    def problem(field: str, message: str) -> None:
        problems.append(ConfigProblem(file, name, field, message))

    for key in sorted(set(config) - _KNOWN):
        problem(key, f"is not a known field of stream configs ({', '.join(sorted(_KNOWN))})")
    if not name:
        problem("name", f"must be a non-empty string, got {config.get('name')!r}")
    elif name.startswith("__"):
        problem("name", "names starting with '__' are reserved for stephost's internal streams")
    base = config.get("baseConfig", {"storageType": "default"})
    if not isinstance(base, dict):
        problem("baseConfig", f"must be an object like {{storageType: 'default'}}, got {base!r}")
    elif base.get("storageType", "default") != "default":
        problem(
            "baseConfig.storageType",
            f"only 'default' is supported (stephost stores every stream itself), got {base.get('storageType')!r}",
        )
    try:
        compile_schema(config.get("schema"))
    except InvalidSchema as exc:
        problem("schema", str(exc))
    if problems or name is None:
        return problems
    return StreamDefinition(name=name, file=file, schema=config.get("schema"), has_can_access="canAccess" in functions)
