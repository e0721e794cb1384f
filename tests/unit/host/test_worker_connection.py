"""WorkerConnection over an in-memory stream: what the host does when it gives up on an invocation,
and how batches (HostBatch, WorkerBatch) go and come."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from stephost import errors
from stephost.config import StepDefinition, parse_step_config
from stephost.errors import InvocationFailed
from stephost.types import CtxRequest, Invocation, LogRecord, Trigger
from stephost.workers import connection as connection_module
from stephost.workers.connection import WorkerConnection
from stephost.workers.rpc_server import WorkerStream
from stephost_proto.v1 import worker_pb2 as pb

STEP = parse_step_config(
    {"type": "api", "name": "Slow", "path": "/slow", "method": "GET", "emits": []},
    file="steps/slow_step.py",
    language="python",
)
assert isinstance(STEP, StepDefinition)
GRACE_S = 0.3


class FakeStream:
    """The worker's side of the stream, driven by the test."""

    def __init__(self) -> None:
        self.to_host: asyncio.Queue[pb.WorkerMessage | None] = asyncio.Queue()
        self.to_worker: asyncio.Queue[pb.HostMessage] = asyncio.Queue()

    async def read(self) -> pb.WorkerMessage | None:
        return await self.to_host.get()

    async def write(self, msg: pb.HostMessage) -> None:
        await self.to_worker.put(msg)

    async def next(self, kind: str) -> pb.HostMessage:
        """The next host message of `kind` (pings are skipped)."""
        while True:
            msg = await asyncio.wait_for(self.to_worker.get(), 5)
            if msg.WhichOneof("kind") == kind:
                return msg


class Served:
    def __init__(self, batches: bool = False) -> None:
        self.stream = FakeStream()
        self.killed: list[str] = []
        self.logs: list[LogRecord] = []
        self.ctx_calls: list[CtxRequest] = []
        self.conn = WorkerConnection(
            cast(WorkerStream, self.stream),
            STEP,
            ctx_handler=self._ctx,
            log_sink=self.logs.append,
            on_unusable=self.killed.append,
            ping_interval_s=60,
            batches=batches,
        )

    async def _ctx(self, step: StepDefinition, invocation: Invocation, request: CtxRequest) -> Any:
        self.ctx_calls.append(request)
        return None

    def answer(self, invocation_id: str) -> None:
        self.stream.to_host.put_nowait(
            pb.WorkerMessage(
                result=pb.InvocationResult(
                    invocation_id=invocation_id,
                    error=pb.Error(code=errors.CANCELLED, message="cancelled"),
                )
            )
        )


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    monkeypatch.setattr(connection_module, "CANCEL_GRACE_S", GRACE_S)
    s = Served()
    serving = asyncio.create_task(s.conn.serve())
    yield s
    s.stream.to_host.put_nowait(None)
    await asyncio.wait_for(serving, 5)


async def start(served: Served, timeout_s: float | None = None) -> tuple[asyncio.Task[Any], str]:
    caller = asyncio.create_task(
        served.conn.invoke(Invocation(trigger=Trigger.API, payload={}, trace_id="t", timeout_s=timeout_s))
    )
    invoke = (await served.stream.next("invoke")).invoke
    return caller, invoke.invocation_id


async def test_a_caller_that_goes_away_gets_the_worker_killed_when_the_invocation_ignores_its_cancel(
    served: Served,
) -> None:
    caller, invocation_id = await start(served)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    cancel = (await served.stream.next("cancel")).cancel
    assert (cancel.invocation_id, cancel.reason) == (invocation_id, "caller gone")
    assert served.conn.in_flight == 1  # still held by the worker, and watched
    await asyncio.sleep(GRACE_S + 0.2)
    assert served.killed == [
        f"invocation of step 'Slow' ignored its cancellation (its caller went away) for {GRACE_S:g} s"
    ]


async def test_a_caller_that_goes_away_leaves_the_worker_alone_when_the_invocation_answers_its_cancel(
    served: Served,
) -> None:
    caller, invocation_id = await start(served)
    caller.cancel()
    await served.stream.next("cancel")
    served.answer(invocation_id)
    await asyncio.sleep(GRACE_S + 0.2)
    assert served.killed == []
    assert served.conn.in_flight == 0


async def test_a_deadline_gets_the_worker_killed_when_the_invocation_ignores_its_cancel(served: Served) -> None:
    caller, _ = await start(served, timeout_s=0.1)
    with pytest.raises(InvocationFailed) as failed:
        await caller
    assert failed.value.code == errors.TIMEOUT
    assert (await served.stream.next("cancel")).cancel.reason == "deadline"
    await asyncio.sleep(GRACE_S + 0.2)
    assert served.killed == [
        f"invocation of step 'Slow' ignored its cancellation (its deadline passed) for {GRACE_S:g} s"
    ]


async def test_ctx_calls_of_a_cancelled_invocation_are_refused_with_cancelled(served: Served) -> None:
    caller, invocation_id = await start(served)
    caller.cancel()
    await served.stream.next("cancel")
    served.stream.to_host.put_nowait(
        pb.WorkerMessage(
            call=pb.CtxCall(call_id=1, invocation_id=invocation_id, state=pb.StateCall(op=pb.STATE_OP_GET, group="g"))
        )
    )
    reply = (await served.stream.next("reply")).reply
    assert (reply.call_id, reply.error.code) == (1, errors.CANCELLED)
    assert served.ctx_calls == []
    served.answer(invocation_id)


async def test_a_worker_that_dies_after_a_cancel_is_not_killed_again(served: Served) -> None:
    caller, _ = await start(served)
    caller.cancel()
    await served.stream.next("cancel")
    served.stream.to_host.put_nowait(None)  # the stream ends: the process is gone or going
    await asyncio.sleep(GRACE_S + 0.2)
    assert served.killed == []
    served.conn.fail_all(errors.WORKER_CRASHED, "gone")
    assert served.conn.in_flight == 0


def ok(invocation_id: str) -> pb.WorkerMessage:
    response = pb.ApiResponse(status=200, body_kind=pb.BODY_KIND_TEXT, body=invocation_id.encode())
    return pb.WorkerMessage(result=pb.InvocationResult(invocation_id=invocation_id, ok=pb.Ok(response=response)))


async def serve(batches: bool) -> tuple[Served, asyncio.Task[None]]:
    s = Served(batches=batches)
    return s, asyncio.create_task(s.conn.serve())


async def stop(s: Served, serving: asyncio.Task[None]) -> None:
    s.stream.to_host.put_nowait(None)
    await asyncio.wait_for(serving, 5)


def invocations(s: Served, n: int) -> list[asyncio.Task[Any]]:
    return [
        asyncio.create_task(s.conn.invoke(Invocation(trigger=Trigger.API, payload={"n": i}, trace_id=f"t{i}")))
        for i in range(n)
    ]


@pytest.mark.parametrize("batches", [True, False])
async def test_a_backlog_goes_as_one_host_batch_only_to_a_worker_that_reads_them(batches: bool) -> None:
    s, serving = await serve(batches)
    callers = invocations(s, 5)  # all queued in one turn of the loop: a backlog for the writer
    await asyncio.sleep(0.05)
    sent = [s.stream.to_worker.get_nowait() for _ in range(s.stream.to_worker.qsize())]
    if batches:
        assert [m.WhichOneof("kind") for m in sent] == ["batch"]
        invokes = [m.invoke for m in sent[0].batch.messages]
    else:
        assert [m.WhichOneof("kind") for m in sent] == ["invoke"] * 5
        invokes = [m.invoke for m in sent]
    assert [i.trace_id for i in invokes] == [f"t{i}" for i in range(5)]  # in order
    for invoke in invokes:
        s.stream.to_host.put_nowait(ok(invoke.invocation_id))
    results = await asyncio.gather(*callers)
    assert [r.body for r in results] == [i.invocation_id.encode() for i in invokes]
    await stop(s, serving)


async def test_a_worker_batch_is_its_messages_in_order() -> None:
    s, serving = await serve(True)
    callers = invocations(s, 3)
    await asyncio.sleep(0.05)
    ids = [m.invoke.invocation_id for m in (await s.stream.next("batch")).batch.messages]
    log = pb.WorkerMessage(log=pb.Log(invocation_id=ids[0], level="info", msg="from a batch"))
    s.stream.to_host.put_nowait(pb.WorkerMessage(batch=pb.WorkerBatch(messages=[log, *(ok(i) for i in ids)])))
    results = await asyncio.gather(*callers)
    assert [r.body for r in results] == [i.encode() for i in ids]
    assert [(r.msg, r.trace_id) for r in s.logs] == [("from a batch", "t0")]
    assert s.killed == []
    await stop(s, serving)


@pytest.mark.parametrize(
    ("inner", "why"),
    [
        (pb.WorkerMessage(batch=pb.WorkerBatch()), "a batch inside a batch"),
        (pb.WorkerMessage(log=pb.Log(msg="x" * (2 * 1024 * 1024))), "a log message of"),
    ],
)
async def test_a_batch_breaking_the_protocol_gets_the_worker_killed(inner: pb.WorkerMessage, why: str) -> None:
    s, serving = await serve(True)
    s.stream.to_host.put_nowait(
        pb.WorkerMessage(batch=pb.WorkerBatch(messages=[pb.WorkerMessage(pong=pb.Pong()), inner]))
    )
    await asyncio.wait_for(serving, 5)  # the connection stops serving at once
    assert len(s.killed) == 1 and why in s.killed[0]


async def test_a_stream_that_breaks_under_the_writer_ends_the_writer_quietly() -> None:
    # The worker was killed: writes fail. The writer must end without an exception of its own:
    # when grpc then cancels the stream's handler twice, nobody would be left to retrieve it
    # ("Task exception was never retrieved").
    s, serving = await serve(True)

    async def broken(msg: pb.HostMessage) -> None:
        raise RuntimeError("execute_batch failed")

    s.stream.write = broken  # type: ignore[method-assign]
    await asyncio.sleep(0)  # serve() starts its writer
    writer = next(t for t in asyncio.all_tasks() if t.get_name() == f"write:{STEP.name}")
    caller = invocations(s, 1)[0]
    await asyncio.wait_for(asyncio.shield(writer), 5)
    assert writer.exception() is None
    await stop(s, serving)
    s.conn.fail_all(errors.WORKER_CRASHED, "killed")
    with pytest.raises(InvocationFailed):
        await caller


async def test_a_ctx_call_read_before_its_result_is_served_even_in_the_same_batch() -> None:
    # An SDK that sends an un-awaited emit and the result together: the call comes first in
    # the stream, so it is carried out, not refused as a call of an unknown invocation.
    s, serving = await serve(True)
    (caller,) = invocations(s, 1)
    await asyncio.sleep(0.05)
    invocation_id = (await s.stream.next("invoke")).invoke.invocation_id
    call = pb.WorkerMessage(
        call=pb.CtxCall(call_id=9, invocation_id=invocation_id, emit=pb.EmitCall(topic="t", data_json=b"{}"))
    )
    s.stream.to_host.put_nowait(pb.WorkerMessage(batch=pb.WorkerBatch(messages=[call, ok(invocation_id)])))
    await caller
    reply = (await s.stream.next("reply")).reply
    assert reply.call_id == 9 and reply.WhichOneof("outcome") != "error", reply
    assert len(s.ctx_calls) == 1
    # a call read after its result is still refused
    late = pb.WorkerMessage(
        call=pb.CtxCall(call_id=10, invocation_id=invocation_id, emit=pb.EmitCall(topic="t", data_json=b"{}"))
    )
    s.stream.to_host.put_nowait(late)
    reply = (await s.stream.next("reply")).reply
    assert (reply.call_id, reply.error.code) == (10, errors.UNKNOWN_INVOCATION)
    assert len(s.ctx_calls) == 1
    await stop(s, serving)
