"""Step configs: the JSON a worker reports in its Hello, checked strictly (spec §2).

`parse_step_config` turns one config into a `StepDefinition` or a list of problems
that name the file, the step and the field. Cross-step checks (duplicate names,
duplicate routes) live in `registry.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from stephost.cron.expression import CronExpressionError, parse_cron
from stephost.errors import ConfigProblem
from stephost.validation import CompiledSchema, InvalidSchema, compile_schema

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
STEP_TYPES = ("api", "event", "cron", "noop")


@dataclass(frozen=True)
class Emit:
    topic: str
    label: str | None = None
    conditional: bool = False


@dataclass(frozen=True)
class HandlerLimits:
    timeout_s: float | None = None
    ram_mb: int | None = None
    cpu: float | None = None


@dataclass(frozen=True)
class QueueSettings:
    type: str = "standard"
    max_retries: int = 3
    visibility_timeout_s: float = 900
    delay_s: float = 0
    concurrency: int | None = None


@dataclass(frozen=True)
class StepDefinition:
    """A validated step: everything the host needs to route to it and check its ctx calls."""

    name: str
    type: str
    file: str  # relative to the project root
    language: str
    description: str | None = None
    flows: tuple[str, ...] = ()
    emits: tuple[Emit, ...] = ()
    virtual_emits: tuple[Emit, ...] = ()
    virtual_subscribes: tuple[str, ...] = ()
    subscribes: tuple[str, ...] = ()
    path: str | None = None
    method: str | None = None
    cron: str | None = None
    input_schema: Any = None
    body_schema: Any = None
    response_schema: dict[str, Any] | None = None
    query_params: tuple[dict[str, Any], ...] = ()
    handler_limits: HandlerLimits = field(default_factory=HandlerLimits)
    queue: QueueSettings = field(default_factory=QueueSettings)
    middleware_count: int = 0
    # Compiled once here so every request and emit only runs the check.
    body_validator: CompiledSchema | None = field(default=None, compare=False, repr=False)
    input_validator: CompiledSchema | None = field(default=None, compare=False, repr=False)
    response_validators: dict[str, CompiledSchema] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def emit_topics(self) -> frozenset[str]:
        # Asked on every emit; a frozen dataclass keeps its fields, so once is enough.
        return frozenset(e.topic for e in self.emits)


# --------------------------------------------------------------------------- field checkers

Check = Callable[[Any], str | None]  # returns a problem message, or None when fine


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v != "" else f"must be a non-empty string, got {v!r}"


def _is_opt_str(v: Any) -> str | None:
    return None if isinstance(v, str) else f"must be a string, got {v!r}"


def _is_str_list(v: Any) -> str | None:
    if not isinstance(v, list):
        return f"must be a list of strings, got {v!r}"
    bad = [x for x in v if not isinstance(x, str) or x == ""]
    return f"must hold only non-empty strings, got {bad[0]!r}" if bad else None


def _is_emit_list(v: Any) -> str | None:
    if not isinstance(v, list):
        return f"must be a list of topics or {{topic, label?, conditional?}}, got {v!r}"
    for item in v:
        if isinstance(item, str) and item:
            continue
        if isinstance(item, dict):
            extra = set(item) - {"topic", "label", "conditional"}
            if extra:
                return f"entry {item!r} has unknown key {sorted(extra)[0]!r}"
            if not isinstance(item.get("topic"), str) or not item["topic"]:
                return f"entry {item!r} needs a non-empty string 'topic'"
            if "label" in item and not isinstance(item["label"], str):
                return f"entry {item!r}: 'label' must be a string"
            if "conditional" in item and not isinstance(item["conditional"], bool):
                return f"entry {item!r}: 'conditional' must be a boolean"
            continue
        return f"entry {item!r} is neither a topic string nor {{topic, label?, conditional?}}"
    return None


def _is_schema(v: Any) -> str | None:
    if v is None or isinstance(v, (dict, bool)):
        return None
    return f"must be a JSON Schema object, got {v!r}"


def _is_response_schema(v: Any) -> str | None:
    if not isinstance(v, dict):
        return f"must map status codes to schemas, got {v!r}"
    for status, schema in v.items():
        if not str(status).isdigit() or not 100 <= int(status) <= 599:
            return f"key {status!r} is not an HTTP status code"
        problem = _is_schema(schema)
        if problem:
            return f"[{status}] {problem}"
    return None


def _is_query_params(v: Any) -> str | None:
    if not isinstance(v, list):
        return f"must be a list of {{name, description?}}, got {v!r}"
    for item in v:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return f"entry {item!r} needs a string 'name'"
        extra = set(item) - {"name", "description"}
        if extra:
            return f"entry {item!r} has unknown key {sorted(extra)[0]!r}"
    return None


# The host's own endpoints (health, workers, DLQ, the Workbench) live under these.
RESERVED_PATH_PREFIXES = ("/__stephost/", "/__workbench")


def _is_path(v: Any) -> str | None:
    if not isinstance(v, str) or not v.startswith("/"):
        return f"must be a path starting with '/', got {v!r}"
    if v.startswith(RESERVED_PATH_PREFIXES) or v in ("/__stephost", "/__workbench"):
        return f"{v!r} is reserved for stephost's own endpoints (/__stephost/..., /__workbench)"
    return None


def _is_method(v: Any) -> str | None:
    if not isinstance(v, str) or v.upper() not in HTTP_METHODS:
        return f"must be one of {', '.join(HTTP_METHODS)}, got {v!r}"
    return None


def _is_cron(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"must be a cron expression string, got {v!r}"
    try:
        parse_cron(v)
    except CronExpressionError as exc:
        return str(exc)
    return None


def _is_anything(v: Any) -> str | None:
    return None


def _is_infrastructure(v: Any) -> str | None:
    if not isinstance(v, dict):
        return f"must be an object with 'handler' and/or 'queue', got {v!r}"
    extra = set(v) - {"handler", "queue"}
    if extra:
        return f"has unknown key {sorted(extra)[0]!r}"
    return None


_COMMON: dict[str, Check] = {
    "type": _is_str,
    "name": _is_str,
    "description": _is_opt_str,
    "flows": _is_str_list,
    "virtualEmits": _is_emit_list,
    "virtualSubscribes": _is_str_list,
    "includeFiles": _is_str_list,
}

_FIELDS: dict[str, tuple[dict[str, Check], tuple[str, ...]]] = {
    # type: ({allowed field: check}, required fields beyond type and name)
    "api": (
        {
            "path": _is_path,
            "method": _is_method,
            "emits": _is_emit_list,
            "bodySchema": _is_schema,
            "responseSchema": _is_response_schema,
            "queryParams": _is_query_params,
            "infrastructure": _is_infrastructure,
        },
        ("path", "method"),
    ),
    "event": (
        {
            "subscribes": _is_str_list,
            "emits": _is_emit_list,
            "input": _is_schema,
            "infrastructure": _is_infrastructure,
        },
        ("subscribes",),
    ),
    "cron": (
        {"cron": _is_cron, "emits": _is_emit_list, "infrastructure": _is_infrastructure},
        ("cron",),
    ),
    "noop": ({}, ()),
}


def _number(
    where: dict[str, Any], key: str, lo: float | None, hi: float | None, integer: bool
) -> tuple[float | None, str | None]:
    if key not in where or where[key] is None:
        return None, None
    v = where[key]
    ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
    if isinstance(v, bool) or not ok_type:
        return None, f"must be {'an integer' if integer else 'a number'}, got {v!r}"
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
        return None, f"must be within {rng}, got {v!r}"
    return float(v), None


def _parse_infrastructure(
    raw: dict[str, Any], problem: Callable[[str, str], None]
) -> tuple[HandlerLimits, QueueSettings]:
    handler = raw.get("handler") or {}
    queue = raw.get("queue") or {}
    limits = HandlerLimits()
    settings = QueueSettings()
    if not isinstance(handler, dict):
        problem("infrastructure.handler", f"must be an object, got {handler!r}")
        handler = {}
    if not isinstance(queue, dict):
        problem("infrastructure.queue", f"must be an object, got {queue!r}")
        queue = {}
    for key in set(handler) - {"timeout", "ram", "cpu"}:
        problem(f"infrastructure.handler.{key}", "is not a known field (timeout, ram, cpu)")
    for key in set(queue) - {"type", "maxRetries", "visibilityTimeout", "delaySeconds", "concurrency"}:
        problem(
            f"infrastructure.queue.{key}",
            "is not a known field (type, maxRetries, visibilityTimeout, delaySeconds, concurrency)",
        )
    values: dict[str, float | None] = {}
    for section, key, lo, hi, integer in (
        (handler, "timeout", 1, 900, False),
        (handler, "ram", 128, 10240, False),
        (handler, "cpu", 0.01, None, False),
        (queue, "maxRetries", 0, None, True),
        (queue, "visibilityTimeout", 0.001, None, False),
        (queue, "delaySeconds", 0, 900, False),
        (queue, "concurrency", 1, None, True),
    ):
        value, message = _number(section, key, lo, hi, integer)
        if message:
            part = "handler" if section is handler else "queue"
            problem(f"infrastructure.{part}.{key}", message)
        values[key] = value
    qtype = queue.get("type", "standard")
    if qtype not in ("standard", "fifo"):
        problem("infrastructure.queue.type", f"must be 'standard' or 'fifo', got {qtype!r}")
        qtype = "standard"
    timeout, visibility = values["timeout"], values["visibilityTimeout"]
    if timeout is not None and visibility is not None and visibility <= timeout:
        problem(
            "infrastructure.queue.visibilityTimeout",
            f"must exceed handler.timeout ({timeout:g} s), got {visibility:g}",
        )
    ram = values["ram"]
    limits = HandlerLimits(timeout_s=timeout, ram_mb=int(ram) if ram is not None else None, cpu=values["cpu"])
    max_retries, delay, conc = values["maxRetries"], values["delaySeconds"], values["concurrency"]
    settings = QueueSettings(
        type=str(qtype),
        max_retries=int(max_retries) if max_retries is not None else 3,
        visibility_timeout_s=visibility if visibility is not None else 900,
        delay_s=delay or 0,
        concurrency=int(conc) if conc is not None else None,
    )
    return limits, settings


def _emits(raw: list[Any] | None) -> tuple[Emit, ...]:
    out: list[Emit] = []
    for item in raw or []:
        if isinstance(item, str):
            out.append(Emit(item))
        else:
            out.append(Emit(item["topic"], item.get("label"), bool(item.get("conditional", False))))
    return tuple(out)


def parse_step_config(
    config: Any, *, file: str, language: str, middleware_count: int = 0
) -> StepDefinition | list[ConfigProblem]:
    """Check one step's config strictly; return the step or every problem found."""
    problems: list[ConfigProblem] = []
    if not isinstance(config, dict):
        return [ConfigProblem(file, None, "config", f"must be an object, got {type(config).__name__}")]
    name = config.get("name") if isinstance(config.get("name"), str) else None

    def problem(fld: str, message: str) -> None:
        problems.append(ConfigProblem(file, name, fld, message))

    step_type = config.get("type")
    if step_type not in STEP_TYPES:
        problem("type", f"must be one of {', '.join(STEP_TYPES)}, got {step_type!r}")
        return problems
    allowed, required = _FIELDS[step_type]
    checks = {**_COMMON, **allowed}
    if step_type == "noop":
        required = ()
    for req in ("name", *required):
        if req not in config:
            problem(req, f"is required for {step_type} steps")
    for key, value in config.items():
        check = checks.get(key)
        if check is None:
            hint = ""
            if key == "middleware":
                hint = " (middleware is only for api steps)"
            problem(key, f"is not a known field of {step_type} steps{hint}")
            continue
        message = check(value)
        if message:
            problem(key, message)
    if middleware_count and step_type != "api":
        problem("middleware", f"is only for api steps, not {step_type} steps")
    if problems:
        return problems

    limits, queue = _parse_infrastructure(config.get("infrastructure") or {}, problem)
    response_schema = config.get("responseSchema")
    validators: dict[str, CompiledSchema | None] = {}
    for key, schema in (
        ("bodySchema", config.get("bodySchema")),
        ("input", config.get("input")),
        *((f"responseSchema.{status}", s) for status, s in (response_schema or {}).items()),
    ):
        try:
            validators[key] = compile_schema(schema)
        except InvalidSchema as exc:
            problem(key, str(exc))
    if problems:
        return problems
    return StepDefinition(
        name=config["name"],
        type=step_type,
        file=file,
        language=language,
        description=config.get("description"),
        flows=tuple(config.get("flows") or ()),
        emits=_emits(config.get("emits")),
        virtual_emits=_emits(config.get("virtualEmits")),
        virtual_subscribes=tuple(config.get("virtualSubscribes") or ()),
        subscribes=tuple(config.get("subscribes") or ()),
        path=config.get("path"),
        method=config["method"].upper() if isinstance(config.get("method"), str) else None,
        cron=config.get("cron"),
        input_schema=config.get("input"),
        body_schema=config.get("bodySchema"),
        response_schema={str(k): v for k, v in response_schema.items()} if response_schema else None,
        query_params=tuple(config.get("queryParams") or ()),
        handler_limits=limits,
        queue=queue,
        middleware_count=middleware_count,
        body_validator=validators.get("bodySchema"),
        input_validator=validators.get("input"),
        response_validators={
            k.split(".", 1)[1]: v for k, v in validators.items() if k.startswith("responseSchema.") and v is not None
        },
    )
