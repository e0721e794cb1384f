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
from stephost.streams.service import StreamService
from stephost.types import (
    CtxRequest,
    EmitRequest,
    Invocation,
    LogRecord,
    LogSink,
    StateRequest,
    StreamRequest,
)
from stephost.workbench.recorder import WorkbenchRecorder


class CtxService:
    """Carries out ctx calls. Whatever a worker sends, the host checks it here."""

    def __init__(
        self,
        registry: Registry,
        state: StateStore,
        bus: EventBus,
        streams: StreamService,
        log_sink: LogSink,
        recorder: WorkbenchRecorder | None = None,
    ) -> None:
        self._recorder = recorder  # the Workbench's trace view, when it is on
        self._registry = registry
        self._state = state
        self._bus = bus
        self._streams = streams
        self._log_sink = log_sink

    async def __call__(self, step: StepDefinition, invocation: Invocation, request: CtxRequest) -> Any:
        if isinstance(request, EmitRequest):
            return await self._emit(step, invocation, request)
        if isinstance(request, StateRequest):
            if self._recorder is not None:
                self._recorder.record(
                    "state", invocation.trace_id, step.name, op=request.op, group=request.group, key=request.key
                )
            return await self._state_call(request)
        if isinstance(request, StreamRequest):
            if self._recorder is not None:
                self._recorder.record(
                    "stream",
                    invocation.trace_id,
                    step.name,
                    op=request.op,
                    stream=request.stream,
                    groupId=request.group_id,
                    id=request.id,
                )
            return await self._stream_call(step, request)
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
        await self.publish(
            req.topic,
            req.data,
            invocation.trace_id,
            emitted_by=step.name,
            group=req.message_group_id,
            flows=step.flows,
        )

    async def publish(
        self,
        topic: str,
        data: Any,
        trace_id: str,
        *,
        emitted_by: str,
        group: str | None = None,
        flows: tuple[str, ...] = (),
    ) -> None:
        """Check `data` against every subscriber's input, then hand one event to the bus.

        Used by ctx emits (after the emits check) and by the built-in `POST /emit`.
        Nothing is enqueued when any subscriber would refuse the data.
        """
        subscribers = self._registry.subscribers_of(topic)
        if self._recorder is not None:
            self._recorder.record("emit", trace_id, emitted_by, topic=topic, subscribers=[s.name for s in subscribers])
        if not subscribers:
            self._log_sink(
                LogRecord(
                    level="warn",
                    msg=f"emitted {topic!r}, but no step subscribes to it",
                    step=emitted_by,
                    time_ms=int(time.time() * 1000),
                    trace_id=trace_id,
                    flows=flows,
                    fields={"topic": topic},
                )
            )
            return
        complaints = []
        for sub in subscribers:
            if sub.input_validator is None:
                continue
            for problem in sub.input_validator.problems(data, "data"):
                complaints.append(f"{sub.name}: {problem.path}: {problem.message}")
        if complaints:
            raise CtxRefused(
                f"data emitted by {emitted_by!r} to {topic!r} does not match the input schema of "
                + "; ".join(complaints),
                code=errors.INVALID_EMIT_DATA,
            )
        event = Event(
            id=str(uuid.uuid4()),
            topic=topic,
            data=data,
            trace_id=trace_id,
            emitted_by=emitted_by,
            message_group_id=group,
        )
        await self._bus.publish(event, [s.name for s in subscribers])

    async def _stream_call(self, step: StepDefinition, req: StreamRequest) -> Any:
        self._streams.require(req.stream, f"step {step.name!r}")
        if not req.group_id:
            raise CtxRefused(f"streams.{req.stream}.{req.op} needs a non-empty groupId", code=errors.INVALID_ARGUMENT)
        if req.op in ("get", "set", "delete") and not req.id:
            raise CtxRefused(f"streams.{req.stream}.{req.op} needs a non-empty id", code=errors.INVALID_ARGUMENT)
        if req.op == "get":
            return await self._streams.get(req.stream, req.group_id, req.id)
        if req.op == "set":
            return await self._streams.set(req.stream, req.group_id, req.id, req.data)
        if req.op == "delete":
            return await self._streams.delete(req.stream, req.group_id, req.id)
        if req.op == "get_group":
            return await self._streams.get_group(req.stream, req.group_id)
        if req.op == "send":
            await self._streams.send(req.stream, req.group_id, req.id or None, req.data)
            return None
        raise CtxRefused(f"unknown stream operation {req.op!r}", code=errors.INVALID_ARGUMENT)

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
