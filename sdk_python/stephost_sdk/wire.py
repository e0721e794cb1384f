"""Translation between protobuf messages and the SDK's plain values.

The only module besides connection.py that touches `stephost_proto`; the rest of
the SDK sees `messages.py` dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stephost_proto.v1 import worker_pb2 as pb

from . import encoding
from .messages import (
    ApiResponse,
    BodyKind,
    CtxOp,
    EmitCall,
    ErrorInfo,
    Failed,
    Invocation,
    LogRecord,
    Outcome,
    StateCall,
    StateOp,
    StreamOp,
    Trigger,
    Welcome,
)

PROTOCOL_VERSION = 1

_TRIGGERS = {
    pb.TRIGGER_KIND_API: Trigger.API,
    pb.TRIGGER_KIND_EVENT: Trigger.EVENT,
    pb.TRIGGER_KIND_CRON: Trigger.CRON,
    pb.TRIGGER_KIND_CAN_ACCESS: Trigger.CAN_ACCESS,
    pb.TRIGGER_KIND_AUTHENTICATE: Trigger.AUTHENTICATE,
}
_BODY_KINDS = {
    BodyKind.JSON: pb.BODY_KIND_JSON,
    BodyKind.TEXT: pb.BODY_KIND_TEXT,
    BodyKind.BYTES: pb.BODY_KIND_BYTES,
    BodyKind.EMPTY: pb.BODY_KIND_EMPTY,
}
_STATE_OPS = {
    StateOp.GET: pb.STATE_OP_GET,
    StateOp.SET: pb.STATE_OP_SET,
    StateOp.DELETE: pb.STATE_OP_DELETE,
    StateOp.GET_GROUP: pb.STATE_OP_GET_GROUP,
    StateOp.CLEAR: pb.STATE_OP_CLEAR,
}
_STREAM_OPS = {
    StreamOp.GET: pb.STREAM_OP_GET,
    StreamOp.SET: pb.STREAM_OP_SET,
    StreamOp.DELETE: pb.STREAM_OP_DELETE,
    StreamOp.GET_GROUP: pb.STREAM_OP_GET_GROUP,
    StreamOp.SEND: pb.STREAM_OP_SEND,
}


class WireError(ValueError):
    """Raised when a host message cannot be understood (unknown trigger, bad JSON)."""


# ------------------------------------------------------------------ host -> worker


def invocation_from(invoke: Any) -> Invocation:
    """Decode an Invoke. Raises WireError for an unknown trigger or a bad payload."""
    trigger = _TRIGGERS.get(invoke.trigger)
    if trigger is None:
        raise WireError(f"Invoke {invoke.invocation_id} has unknown trigger {invoke.trigger}")
    try:
        payload = encoding.loads(invoke.payload_json)
    except ValueError as exc:
        raise WireError(f"Invoke {invoke.invocation_id} has a payload that is not JSON: {exc}") from None
    return Invocation(
        invocation_id=invoke.invocation_id,
        trigger=trigger,
        payload=payload,
        trace_id=invoke.trace_id,
        deadline_unix_ms=invoke.deadline_unix_ms,
        attempt=invoke.attempt or 1,
        event_id=invoke.event_id,
        topic=invoke.topic,
        flows=tuple(invoke.flows),
    )


def welcome_from(welcome: Any) -> Welcome:
    return Welcome(
        protocol_version=welcome.protocol_version,
        step_name=welcome.step_name,
        stream_names=tuple(welcome.stream_names),
        max_message_bytes=welcome.max_message_bytes,
        capabilities=dict(welcome.capabilities),
    )


def error_from(error: Any) -> ErrorInfo:
    return ErrorInfo(code=error.code, message=error.message, stack=error.stack, name=error.name)


# ------------------------------------------------------------------ worker -> host


def hello(
    worker_id: str,
    config_json: bytes,
    middleware_count: int,
    sdk_name: str,
    sdk_version: str,
    capabilities: dict[str, str],
    functions: Sequence[str] = (),
    source_files: Sequence[str] = (),
) -> Any:
    return pb.WorkerMessage(
        hello=pb.Hello(
            protocol_version=PROTOCOL_VERSION,
            sdk_name=sdk_name,
            sdk_version=sdk_version,
            language="python",
            worker_id=worker_id,
            config_json=config_json,
            capabilities=capabilities,
            middleware_count=middleware_count,
            functions=list(functions),
            source_files=list(source_files),
        )
    )


def load_failure(worker_id: str, error: ErrorInfo) -> Any:
    return pb.WorkerMessage(load_failure=pb.LoadFailure(worker_id=worker_id, error=_error(error)))


def result(invocation_id: str, outcome: Outcome) -> Any:
    if isinstance(outcome, Failed):
        return pb.WorkerMessage(result=pb.InvocationResult(invocation_id=invocation_id, error=_error(outcome.error)))
    ok = pb.Ok()
    if outcome.response is not None:
        ok.response.CopyFrom(_response(outcome.response))
    if outcome.value_json is not None:
        ok.value_json = outcome.value_json
    return pb.WorkerMessage(result=pb.InvocationResult(invocation_id=invocation_id, ok=ok))


def ctx_call(call_id: int, invocation_id: str, op: CtxOp) -> Any:
    call = pb.CtxCall(call_id=call_id, invocation_id=invocation_id)
    if isinstance(op, EmitCall):
        call.emit.CopyFrom(pb.EmitCall(topic=op.topic, data_json=op.data_json, message_group_id=op.message_group_id))
    elif isinstance(op, StateCall):
        call.state.CopyFrom(pb.StateCall(op=_STATE_OPS[op.op], group=op.group, key=op.key, value_json=op.value_json))
    else:
        call.stream.CopyFrom(
            pb.StreamCall(
                op=_STREAM_OPS[op.op],
                stream=op.stream,
                group_id=op.group_id,
                id=op.id,
                data_json=op.data_json,
            )
        )
    return pb.WorkerMessage(call=call)


def log(record: LogRecord) -> Any:
    return pb.WorkerMessage(
        log=pb.Log(
            invocation_id=record.invocation_id,
            level=record.level,
            msg=record.msg,
            fields_json=record.fields_json,
            time_unix_ms=record.time_unix_ms,
        )
    )


def pong(seq: int) -> Any:
    return pb.WorkerMessage(pong=pb.Pong(seq=seq))


def batch(messages: list[Any]) -> Any:
    """Several WorkerMessages as one (a single one is sent as it is)."""
    if len(messages) == 1:
        return messages[0]
    return pb.WorkerMessage(batch=pb.WorkerBatch(messages=messages))


def drained() -> Any:
    return pb.WorkerMessage(drained=pb.Drained())


def _error(error: ErrorInfo) -> Any:
    return pb.Error(code=error.code, message=error.message, stack=error.stack, name=error.name)


def _response(response: ApiResponse) -> Any:
    return pb.ApiResponse(
        status=response.status,
        headers=[pb.Header(name=name, value=value) for name, value in response.headers],
        body_kind=_BODY_KINDS[response.body_kind],
        body=response.body,
    )
