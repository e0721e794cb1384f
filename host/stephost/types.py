"""Plain data that crosses between the core and its edges (HTTP, gRPC). No protobuf here."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from stephost.config import StepDefinition


class Trigger(enum.Enum):
    API = "api"
    EVENT = "event"
    CRON = "cron"
    CAN_ACCESS = "can_access"
    AUTHENTICATE = "authenticate"


@dataclass(frozen=True)
class Invocation:
    """One run of a step's handler, as the host asks for it."""

    trigger: Trigger
    payload: Any
    trace_id: str
    timeout_s: float | None = None
    attempt: int = 1
    event_id: str = ""
    topic: str = ""


@dataclass(frozen=True)
class ApiResult:
    """What an api handler answered. `body_kind` is one of json, text, bytes, empty."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body_kind: str = "empty"
    body: bytes = b""


@dataclass(frozen=True)
class ValueResult:
    """What a canAccess or authenticate function returned (any JSON value)."""

    value: Any


InvocationResult = ApiResult | ValueResult | None


@dataclass(frozen=True)
class EmitRequest:
    topic: str
    data: Any
    message_group_id: str | None


@dataclass(frozen=True)
class StateRequest:
    op: str  # get | set | delete | get_group | clear
    group: str
    key: str
    value: Any = None


@dataclass(frozen=True)
class StreamRequest:
    op: str  # get | set | delete | get_group | send
    stream: str
    group_id: str
    id: str
    data: Any = None


CtxRequest = EmitRequest | StateRequest | StreamRequest


@dataclass(frozen=True)
class LogRecord:
    level: str
    msg: str
    step: str
    time_ms: int
    trace_id: str | None = None
    flows: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


class CtxHandler(Protocol):
    async def __call__(self, step: StepDefinition, invocation: Invocation, request: CtxRequest) -> Any:
        """Carry out one ctx call made by `step` while running `invocation`; return its JSON result."""


LogSink = Callable[[LogRecord], None]
