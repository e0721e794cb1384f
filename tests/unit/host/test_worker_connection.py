"""WorkerConnection over an in-memory stream: what the host does when it gives up on an invocation."""

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
    def __init__(self) -> None:
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
