"""The plain values the SDK core works with.

Protobuf objects stop at `wire.py`; everything else (context, invoke, response,
the dispatcher) sees these frozen dataclasses, so the core can be tested without
gRPC and a second transport would not touch it.

Every dataclass here has a docstring: without one, @dataclass builds it with
inspect.signature, which costs every worker start-up time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Trigger(enum.Enum):
    API = "api"
    EVENT = "event"
    CRON = "cron"
    # Stream files: canAccess(subscription, auth_context).
    CAN_ACCESS = "can_access"
    # The project's stream auth file (motia.config.ts/js; Node workers only).
    AUTHENTICATE = "authenticate"


class BodyKind(enum.Enum):
    JSON = "json"
    TEXT = "text"
    BYTES = "bytes"
    EMPTY = "empty"


@dataclass(frozen=True)
class Invocation:
    """One Invoke from the host, its payload already decoded from JSON."""

    invocation_id: str
    trigger: Trigger
    payload: Any
    trace_id: str = ""
    deadline_unix_ms: int = 0
    attempt: int = 1
    event_id: str = ""
    topic: str = ""
    flows: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiResponse:
    """An API handler's response, ready for the wire."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body_kind: BodyKind = BodyKind.EMPTY
    body: bytes = b""


@dataclass(frozen=True)
class ErrorInfo:
    """An error as the protocol carries it: a stable code, a message, the stack."""

    code: str
    message: str
    stack: str = ""
    name: str = ""


@dataclass(frozen=True)
class Ok:
    """A finished invocation; `response` is None for event and cron steps and
    for API handlers that returned nothing. `value_json` is the JSON result of a
    CAN_ACCESS (or AUTHENTICATE) invocation, None for every other trigger."""

    response: ApiResponse | None = None
    value_json: bytes | None = None


@dataclass(frozen=True)
class Failed:
    """A failed invocation: the error the host reports for it."""

    error: ErrorInfo


Outcome = Ok | Failed


# ------------------------------------------------------------------ ctx operations


class StateOp(enum.Enum):
    GET = "get"
    SET = "set"
    DELETE = "delete"
    GET_GROUP = "get_group"
    CLEAR = "clear"


class StreamOp(enum.Enum):
    GET = "get"
    SET = "set"
    DELETE = "delete"
    GET_GROUP = "get_group"
    SEND = "send"


@dataclass(frozen=True)
class EmitCall:
    """context.emit: publish `data_json` to `topic`."""

    topic: str
    data_json: bytes
    message_group_id: str = ""


@dataclass(frozen=True)
class StateCall:
    """A context.state operation on `group` (and `key`)."""

    op: StateOp
    group: str
    key: str = ""
    value_json: bytes = b""


@dataclass(frozen=True)
class StreamCall:
    """An operation on stream `stream`: item `id` of `group_id`, or the whole group."""

    op: StreamOp
    stream: str
    group_id: str
    id: str = ""
    data_json: bytes = b""


CtxOp = EmitCall | StateCall | StreamCall


@dataclass(frozen=True)
class LogRecord:
    """One context.logger call."""

    invocation_id: str
    level: str
    msg: str
    fields_json: bytes
    time_unix_ms: int


@dataclass(frozen=True)
class Cancel:
    """The host cancels one invocation."""

    invocation_id: str
    reason: str = ""


@dataclass(frozen=True)
class Drain:
    """The host asks the worker to finish its work and stop (0 = no deadline)."""

    deadline_unix_ms: int = 0


@dataclass(frozen=True)
class Welcome:
    """The host's answer to Hello: its protocol revision and what the step may use."""

    protocol_version: int
    step_name: str
    stream_names: tuple[str, ...] = ()
    max_message_bytes: int = 0
    capabilities: dict[str, str] = field(default_factory=dict)


HostEvent = Welcome | Invocation | Cancel | Drain
