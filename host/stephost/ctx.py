"""The host's side of every ctx call: permission checks, then state, bus and streams."""

from __future__ import annotations

import time
import uuid
from typing import Any

from stephost import errors
from stephost.bus.base import Event, EventBus
from stephost.config import StepDefinition
from stephost.errors import CtxRefused
from stephost.registry import Registry
from stephost.state.base import StateStore
from stephost.types import (
    CtxRequest,
    EmitRequest,
    Invocation,
    LogRecord,
    LogSink,
    StateRequest,
    StreamRequest,
)


class CtxService:
    """Carries out ctx calls. Whatever a worker sends, the host checks it here."""

    def __init__(self, registry: Registry, state: StateStore, bus: EventBus, log_sink: LogSink) -> None:
        self._registry = registry
        self._state = state
        self._bus = bus
        self._log_sink = log_sink

    async def __call__(self, step: StepDefinition, invocation: Invocation, request: CtxRequest) -> Any:
        if isinstance(request, EmitRequest):
            return await self._emit(step, invocation, request)
        if isinstance(request, StateRequest):
            return await self._state_call(request)
        if isinstance(request, StreamRequest):
            raise CtxRefused(
                f"step {step.name!r} used stream {request.stream!r}, which does not exist",
                code=errors.STREAM_NOT_FOUND,
            )
        raise CtxRefused(f"unknown ctx call {request!r}", code=errors.INVALID_ARGUMENT)

    async def _emit(self, step: StepDefinition, invocation: Invocation, req: EmitRequest) -> None:
        if not req.topic:
            raise CtxRefused(f"step {step.name!r} called emit without a topic", code=errors.INVALID_ARGUMENT)
        if req.topic not in step.emit_topics:
            declared = ", ".join(sorted(step.emit_topics)) or "none"
            raise CtxRefused(
                f"step {step.name!r} may not emit {req.topic!r}: it is not in the step's emits (declared: {declared})",
                code=errors.EMIT_NOT_DECLARED,
            )
        subscribers = self._registry.subscribers_of(req.topic)
        if not subscribers:
            self._log_sink(
                LogRecord(
                    level="warn",
                    msg=f"emitted {req.topic!r}, but no step subscribes to it",
                    step=step.name,
                    time_ms=int(time.time() * 1000),
                    trace_id=invocation.trace_id,
                    flows=step.flows,
                    fields={"topic": req.topic},
                )
            )
            return None
        event = Event(
            id=str(uuid.uuid4()),
            topic=req.topic,
            data=req.data,
            trace_id=invocation.trace_id,
            emitted_by=step.name,
            message_group_id=req.message_group_id,
        )
        await self._bus.publish(event, [s.name for s in subscribers])
        return None

    async def _state_call(self, req: StateRequest) -> Any:
        if not req.group:
            raise CtxRefused("state calls need a non-empty group", code=errors.INVALID_ARGUMENT)
        if req.op in ("get", "set", "delete") and not req.key:
            raise CtxRefused(f"state.{req.op} needs a non-empty key", code=errors.INVALID_ARGUMENT)
        if req.op == "get":
            return await self._state.get(req.group, req.key)
        if req.op == "set":
            return await self._state.set(req.group, req.key, req.value)
        if req.op == "delete":
            return await self._state.delete(req.group, req.key)
        if req.op == "get_group":
            return await self._state.get_group(req.group)
        if req.op == "clear":
            await self._state.clear(req.group)
            return None
        raise CtxRefused(f"unknown state operation {req.op!r}", code=errors.INVALID_ARGUMENT)
