"""One live worker stream: invocations out, results and ctx calls in, pings both ways.

This is the only place that turns protobuf messages into the core's plain types and
back (style rule 4: translate at the edges).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from stephost import errors, json_codec
from stephost.config import StepDefinition
from stephost.errors import CtxRefused, InvocationFailed, StorageUnavailable
from stephost.types import (
    ApiResult,
    CtxHandler,
    CtxRequest,
    EmitRequest,
    Invocation,
    InvocationResult,
    LogRecord,
    LogSink,
    StateRequest,
    StreamRequest,
    Trigger,
    ValueResult,
)
from stephost.workers.rpc_server import WorkerStream
from stephost_proto.v1 import worker_pb2 as pb

log = logging.getLogger("stephost.workers")

# What one message of each small kind may weigh; results and ctx calls are bounded by the
# transport's 64 MiB. SDKs cut a log record down before it gets near its limit, so a
# worker that sends more is broken or hostile: it is disconnected and killed.
MESSAGE_LIMITS = {"log": 1024 * 1024, "pong": 64, "drained": 64}

_TRIGGERS = {
    Trigger.API: pb.TRIGGER_KIND_API,
    Trigger.EVENT: pb.TRIGGER_KIND_EVENT,
    Trigger.CRON: pb.TRIGGER_KIND_CRON,
    Trigger.CAN_ACCESS: pb.TRIGGER_KIND_CAN_ACCESS,
    Trigger.AUTHENTICATE: pb.TRIGGER_KIND_AUTHENTICATE,
}
_BODY_KINDS = {
    pb.BODY_KIND_JSON: "json",
    pb.BODY_KIND_TEXT: "text",
    pb.BODY_KIND_BYTES: "bytes",
    pb.BODY_KIND_EMPTY: "empty",
    pb.BODY_KIND_UNSPECIFIED: "empty",
}
_STATE_OPS = {
    pb.STATE_OP_GET: "get",
    pb.STATE_OP_SET: "set",
    pb.STATE_OP_DELETE: "delete",
    pb.STATE_OP_GET_GROUP: "get_group",
    pb.STATE_OP_CLEAR: "clear",
}
_STREAM_OPS = {
    pb.STREAM_OP_GET: "get",
    pb.STREAM_OP_SET: "set",
    pb.STREAM_OP_DELETE: "delete",
    pb.STREAM_OP_GET_GROUP: "get_group",
    pb.STREAM_OP_SEND: "send",
}
_LEVELS = {"debug", "info", "warn", "error"}

# A worker that announces "batch" = "1" in Hello gets a backlog of host messages as one
# HostBatch; the host announces the same in Welcome and accepts WorkerBatch. One gRPC
# write costs far more than encoding a small message, so under load this halves the
# host's work per request. A batch is cut at BATCH_MAX_MESSAGES or BATCH_MAX_BYTES; a
# message larger than that goes alone.
BATCH_CAPABILITY = "batch"
HOST_CAPABILITIES = {BATCH_CAPABILITY: "1"}
BATCH_MAX_MESSAGES = 256
BATCH_MAX_BYTES = 1024 * 1024

PING_INTERVAL_S = 5.0
MISSED_PINGS_BEFORE_HUNG = 3
CANCEL_GRACE_S = 2.0

_invocation_ids = itertools.count(1)


def _loads(raw: bytes, what: str) -> Any:
    if not raw:
        return None
    try:
        return json_codec.loads(raw)
    except ValueError as exc:
        raise CtxRefused(f"{what} is not valid JSON: {exc}", code=errors.INVALID_ARGUMENT) from exc


def _ctx_request(call: pb.CtxCall) -> CtxRequest:
    which = call.WhichOneof("op")
    if which == "emit":
        e = call.emit
        return EmitRequest(e.topic, _loads(e.data_json, "emit data"), e.message_group_id or None)
    if which == "state":
        s = call.state
        op = _STATE_OPS.get(s.op)
        if op is None:
            raise CtxRefused(f"unknown state operation {s.op}", code=errors.INVALID_ARGUMENT)
        return StateRequest(op, s.group, s.key, _loads(s.value_json, "state value"))
    if which == "stream":
        st = call.stream
        sop = _STREAM_OPS.get(st.op)
        if sop is None:
            raise CtxRefused(f"unknown stream operation {st.op}", code=errors.INVALID_ARGUMENT)
        return StreamRequest(sop, st.stream, st.group_id, st.id, _loads(st.data_json, "stream data"))
    raise CtxRefused("ctx call without an operation", code=errors.INVALID_ARGUMENT)


def _relay(waiter: asyncio.Future[InvocationResult], record: asyncio.Future[InvocationResult]) -> None:
    """The record's outcome to the caller's future, unless the caller stopped waiting."""
    if waiter.done():
        if not record.cancelled():
            record.exception()  # seen: a late failure nobody waits for is not "never retrieved"
        return
    if record.cancelled():
        waiter.cancel()
    elif (exc := record.exception()) is not None:
        waiter.set_exception(exc)
    else:
        waiter.set_result(record.result())


def _expire(waiter: asyncio.Future[InvocationResult]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class WorkerConnection:
    """Serves one worker's stream after the handshake, until it ends."""

    def __init__(
        self,
        stream: WorkerStream,
        step: StepDefinition,
        *,
        ctx_handler: CtxHandler,
        log_sink: LogSink,
        on_unusable: Callable[[str], None],
        ping_interval_s: float = PING_INTERVAL_S,
        batches: bool = False,
    ) -> None:
        self.step = step
        self._batches = batches  # the worker reads HostBatch
        self._stream = stream
        self._ctx_handler = ctx_handler
        self._log_sink = log_sink
        # Called when the worker must be killed: it hung, ignored a cancel or broke the protocol.
        self._on_unusable = on_unusable
        self._ping_interval_s = ping_interval_s
        self._outbox: asyncio.Queue[pb.HostMessage | None] = asyncio.Queue()
        # invocation id -> (its future, the invocation), from Invoke until the worker answers or dies;
        # a cancelled future marks one the host gave up on (deadline, caller gone) but still watches
        self._pending: dict[str, tuple[asyncio.Future[InvocationResult], Invocation]] = {}
        # invocation id -> the kill check of a cancelled invocation, due CANCEL_GRACE_S after its Cancel
        self._grace_timers: dict[str, asyncio.TimerHandle] = {}
        # invocation id -> why a ctx call of it found the store down: its failure is the outage's
        self._outages: dict[str, str] = {}
        self._ctx_tasks: set[asyncio.Task[None]] = set()
        self._drained = asyncio.Event()
        self._closed = False
        self._last_pong = 0
        self._ping_seq = 0

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    # ------------------------------------------------------------------ invocations

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        """Run `invocation` on this worker; raises InvocationFailed on any failure.

        When the deadline passes or the caller goes away, the worker is sent a Cancel and the
        invocation stays tracked until the worker answers: if it has not within
        CANCEL_GRACE_S, the worker is killed, so an uncooperative handler never runs on unseen.
        """
        if self._closed:
            raise InvocationFailed(errors.WORKER_CRASHED, f"the worker of step {self.step.name!r} is gone")
        invocation_id = f"i{next(_invocation_ids)}"
        deadline_ms = 0
        if invocation.timeout_s:
            deadline_ms = int((time.time() + invocation.timeout_s) * 1000)
        message = pb.HostMessage(
            invoke=pb.Invoke(
                invocation_id=invocation_id,
                trigger=_TRIGGERS[invocation.trigger],
                payload_json=json_codec.dumps(invocation.payload),
                trace_id=invocation.trace_id,
                deadline_unix_ms=deadline_ms,
                attempt=invocation.attempt,
                event_id=invocation.event_id,
                topic=invocation.topic,
                flows=list(self.step.flows),
            )
        )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[InvocationResult] = loop.create_future()
        self._pending[invocation_id] = (future, invocation)
        self._send(message)
        # The caller waits on its own future, fed by the record's: a caller that goes away
        # cancels only its own, never the record of what the worker holds (what
        # asyncio.shield does), and the deadline is one timer (wait_for costs a task's
        # worth of futures and callbacks per request on the hot path).
        waiter: asyncio.Future[InvocationResult] = loop.create_future()
        future.add_done_callback(partial(_relay, waiter))
        timer = loop.call_later(invocation.timeout_s, _expire, waiter) if invocation.timeout_s else None
        try:
            return await waiter
        except TimeoutError:
            self._cancel(invocation_id, "deadline", "its deadline passed")
            raise InvocationFailed(
                errors.TIMEOUT,
                f"step {self.step.name!r} did not finish within {invocation.timeout_s:g} s",
            ) from None
        except asyncio.CancelledError:
            # The caller is gone (client disconnected, shutdown): tell the worker, and watch it.
            self._cancel(invocation_id, "caller gone", "its caller went away")
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _cancel(self, invocation_id: str, reason: str, why: str) -> None:
        """Send Cancel for an invocation the worker still holds; kill the worker if it is not answered in time.

        The entry stays in `_pending` (its future cancelled: nobody reads the answer) until the
        worker answers or dies, so the grace check below can tell whether it ever did.
        """
        entry = self._pending.get(invocation_id)
        if entry is None or entry[0].done():
            return  # answered meanwhile (or already cancelled)
        entry[0].cancel()
        self._send(pb.HostMessage(cancel=pb.Cancel(invocation_id=invocation_id, reason=reason)))
        if self._closed:
            return

        def check() -> None:
            self._grace_timers.pop(invocation_id, None)
            if invocation_id in self._pending and not self._closed:
                self._on_unusable(
                    f"invocation of step {self.step.name!r} ignored its cancellation ({why}) for {CANCEL_GRACE_S:g} s"
                )

        # Cooperative cancellation is never the only mechanism: kill after a grace period.
        self._grace_timers[invocation_id] = asyncio.get_running_loop().call_later(CANCEL_GRACE_S, check)

    def _resolve(self, result: pb.InvocationResult) -> None:
        entry = self._pending.pop(result.invocation_id, None)
        outage = self._outages.pop(result.invocation_id, None)
        if (timer := self._grace_timers.pop(result.invocation_id, None)) is not None:
            timer.cancel()
        if entry is None:
            return  # an invocation this worker does not hold: ignored
        future, _ = entry
        if future.done():
            return  # answered after its cancel: nothing waits for it
        if result.WhichOneof("outcome") == "error":
            err = result.error
            if outage is not None:
                # The handler failed after the store did: the caller learns the real, retryable cause.
                future.set_exception(InvocationFailed(errors.STORAGE_UNAVAILABLE, outage, stack=err.stack))
                return
            future.set_exception(
                InvocationFailed(err.code or errors.INTERNAL, err.message, stack=err.stack, name=err.name)
            )
            return
        if not result.ok.HasField("response"):
            if result.ok.value_json:
                try:
                    future.set_result(ValueResult(json_codec.loads(result.ok.value_json)))
                except ValueError as exc:
                    future.set_exception(
                        InvocationFailed(
                            errors.INVALID_RESPONSE, f"step {self.step.name!r} returned invalid JSON: {exc}"
                        )
                    )
                return
            future.set_result(None)
            return
        r = result.ok.response
        future.set_result(
            ApiResult(
                status=r.status or 200,
                headers=[(h.name, h.value) for h in r.headers],
                body_kind=_BODY_KINDS.get(r.body_kind, "empty"),
                body=r.body,
            )
        )

    # ------------------------------------------------------------------ ctx calls

    async def _serve_ctx(
        self, call: pb.CtxCall, entry: tuple[asyncio.Future[InvocationResult], Invocation] | None
    ) -> None:
        """Carry out one ctx call. `entry` is its invocation as it stood when the call was read:
        a call read before its invocation's result is served even when the result (read next,
        e.g. in the same WorkerBatch) resolves the invocation before this task runs."""
        reply = pb.CtxReply(call_id=call.call_id)
        try:
            if entry is None:
                raise CtxRefused(
                    f"invocation {call.invocation_id!r} is not running on this worker",
                    code=errors.UNKNOWN_INVOCATION,
                )
            if entry[0].cancelled():
                # Nobody waits for its result any more: what it would still do must not happen.
                raise CtxRefused(f"invocation {call.invocation_id!r} was cancelled", code=errors.CANCELLED)
            value = await self._ctx_handler(self.step, entry[1], _ctx_request(call))
            reply.value_json = json_codec.dumps(value)
        except CtxRefused as exc:
            reply.error.CopyFrom(pb.Error(code=exc.code, message=exc.message))
        except StorageUnavailable as exc:
            if call.invocation_id in self._pending:  # its result, still to come, reports the outage
                self._outages[call.invocation_id] = exc.message
            reply.error.CopyFrom(pb.Error(code=exc.code, message=exc.message))
        except Exception as exc:
            log.exception("ctx call of step %s failed", self.step.name)
            reply.error.CopyFrom(pb.Error(code=errors.INTERNAL, message=f"{type(exc).__name__}: {exc}"))
        self._send(pb.HostMessage(reply=reply))

    def _record_log(self, msg: pb.Log) -> None:
        entry = self._pending.get(msg.invocation_id) if msg.invocation_id else None
        fields: dict[str, Any] = {}
        if msg.fields_json:
            try:
                parsed = json_codec.loads(msg.fields_json)
                fields = parsed if isinstance(parsed, dict) else {"data": parsed}
            except ValueError:
                fields = {"data": msg.fields_json.decode(errors="replace")}
        self._log_sink(
            LogRecord(
                level=msg.level if msg.level in _LEVELS else "info",
                msg=msg.msg,
                step=self.step.name,
                time_ms=msg.time_unix_ms or int(time.time() * 1000),
                trace_id=entry[1].trace_id if entry else None,
                flows=self.step.flows,
                fields=fields,
            )
        )

    # ------------------------------------------------------------------ the stream

    def _send(self, msg: pb.HostMessage) -> None:
        if not self._closed:
            self._outbox.put_nowait(msg)

    async def _write_loop(self) -> None:
        try:
            await self._write_queued()
        except Exception as exc:
            # The stream broke (the worker died or was killed): the reading side sees it end,
            # and what the worker held is failed with the real cause. Nothing more to write.
            log.debug("writing to the worker of %s failed: %r", self.step.name, exc)

    async def _write_queued(self) -> None:
        outbox = self._outbox
        while True:
            msg = await outbox.get()
            if msg is None:
                return
            if not self._batches or outbox.empty():
                await self._stream.write(msg)
                continue
            # A backlog: everything queued (up to the caps) in one write.
            batch = [msg]
            size = msg.ByteSize()
            end = False
            while not outbox.empty() and len(batch) < BATCH_MAX_MESSAGES and size < BATCH_MAX_BYTES:
                nxt = outbox.get_nowait()
                if nxt is None:
                    end = True
                    break
                batch.append(nxt)
                size += nxt.ByteSize()
            await self._stream.write(
                batch[0] if len(batch) == 1 else pb.HostMessage(batch=pb.HostBatch(messages=batch))
            )
            if end:
                return

    async def _ping_loop(self) -> None:
        while True:
            await asyncio.sleep(self._ping_interval_s)
            if self._ping_seq - self._last_pong >= MISSED_PINGS_BEFORE_HUNG:
                self._on_unusable(
                    f"step {self.step.name!r} missed {MISSED_PINGS_BEFORE_HUNG} heartbeats "
                    f"({self._ping_interval_s:g} s apart)"
                )
                return
            self._ping_seq += 1
            self._send(pb.HostMessage(ping=pb.Ping(seq=self._ping_seq)))

    def _receive(self, msg: pb.WorkerMessage, in_batch: bool = False) -> bool:
        """Act on one worker message; False when the worker broke the protocol (it is being killed)."""
        kind = msg.WhichOneof("kind")
        limit = MESSAGE_LIMITS.get(kind or "")
        if limit is not None and (size := msg.ByteSize()) > limit:
            self._on_unusable(
                f"step {self.step.name!r} broke the protocol: a {kind} message of {size} bytes (the limit is {limit})"
            )
            return False
        if kind == "result":
            self._resolve(msg.result)
        elif kind == "call":
            task = asyncio.create_task(self._serve_ctx(msg.call, self._pending.get(msg.call.invocation_id)))
            self._ctx_tasks.add(task)
            task.add_done_callback(self._ctx_tasks.discard)
        elif kind == "log":
            self._record_log(msg.log)
        elif kind == "pong":
            self._last_pong = max(self._last_pong, msg.pong.seq)
        elif kind == "drained":
            self._drained.set()
        elif kind == "batch" and not in_batch:
            return all(self._receive(inner, in_batch=True) for inner in msg.batch.messages)
        elif kind == "batch":
            self._on_unusable(f"step {self.step.name!r} broke the protocol: a batch inside a batch")
            return False
        else:
            log.warning("step %s sent an unexpected %s message; ignored", self.step.name, kind)
        return True

    async def serve(self) -> None:
        """Read the worker's messages until the stream ends; then fail whatever it held."""
        writer = asyncio.create_task(self._write_loop(), name=f"write:{self.step.name}")
        pinger = asyncio.create_task(self._ping_loop(), name=f"ping:{self.step.name}")
        try:
            while True:
                try:
                    msg = await self._stream.read()
                except Exception as exc:  # the transport broke: same as the worker leaving
                    log.debug("stream of %s broke: %s", self.step.name, exc)
                    break
                if msg is None:
                    break
                if not self._receive(msg):
                    break
        finally:
            # What the worker held is failed by its supervisor once the process is gone, with
            # the real cause (exit code, signal, memory limit); new work is refused from now.
            self._closed = True
            self._outbox.put_nowait(None)
            for timer in self._grace_timers.values():
                timer.cancel()
            self._grace_timers.clear()
            pinger.cancel()
            for task in list(self._ctx_tasks):
                task.cancel()
            await asyncio.gather(pinger, *self._ctx_tasks, return_exceptions=True)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    def fail_all(self, code: str, message: str) -> None:
        """Every invocation this worker held fails at once, never left hanging."""
        for future, _ in list(self._pending.values()):
            if not future.done():
                future.set_exception(InvocationFailed(code, message))
        self._pending.clear()
        self._outages.clear()
        for timer in self._grace_timers.values():
            timer.cancel()
        self._grace_timers.clear()

    async def drain(self, timeout_s: float) -> bool:
        """Ask for a graceful stop; True when the worker said it drained in time."""
        self._send(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int((time.time() + timeout_s) * 1000))))
        try:
            await asyncio.wait_for(self._drained.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
