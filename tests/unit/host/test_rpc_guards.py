"""A fake worker on a real unix socket: the host's rpc edge refuses what a worker may not do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from stephost.bus.dispatcher import Dispatcher
from stephost.bus.memory import MemoryQueueStore
from stephost.config import StepDefinition, parse_step_config
from stephost.ctx import CtxService
from stephost.registry import build_registry
from stephost.state.memory import MemoryStateStore
from stephost.streams.feed import LocalFeed
from stephost.streams.hub import StreamHub
from stephost.streams.memory import MemoryStreamStore
from stephost.streams.service import StreamService
from stephost.types import Invocation, LogRecord, Trigger
from stephost.workers.connection import WorkerConnection
from stephost.workers.rpc_server import WorkerRpcServer, WorkerStream
from stephost_proto.v1 import worker_pb2 as pb
from stephost_proto.v1 import worker_pb2_grpc as pb_grpc

STEP = parse_step_config(
    {"type": "api", "name": "Api", "path": "/a", "method": "GET", "emits": ["allowed"]},
    file="steps/a_step.py",
    language="python",
)
assert isinstance(STEP, StepDefinition)


class Harness:
    def __init__(self, socket_path: str) -> None:
        self.server = WorkerRpcServer(socket_path)
        self.connection: WorkerConnection | None = None
        self.connected = asyncio.Event()
        self.served = asyncio.Event()  # serve() returned: the host stopped reading the stream
        self.logs: list[LogRecord] = []
        self.killed: list[str] = []
        registry, _ = build_registry([STEP])
        self.ctx = CtxService(
            registry,
            MemoryStateStore(),
            Dispatcher(MemoryQueueStore(), self._never),
            StreamService(MemoryStreamStore(), LocalFeed(StreamHub()), {}),
            self.logs.append,
        )

    async def _never(self, delivery: Any) -> None:
        raise AssertionError("nothing is delivered here")

    async def serve_stream(self, stream: WorkerStream) -> None:
        self.connection = WorkerConnection(
            stream, STEP, ctx_handler=self.ctx, log_sink=self.logs.append, on_unusable=self.killed.append
        )
        self.connected.set()
        try:
            await self.connection.serve()
        finally:
            self.served.set()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(str(tmp_path / "w.sock"))
    await h.server.start()
    h.server.expect("good-secret", h.serve_stream)
    yield h
    await h.server.stop(0)


def call(socket_path: str, secret: str) -> tuple[grpc.aio.Channel, Any]:
    channel = grpc.aio.insecure_channel(f"unix:{socket_path}")
    stream = pb_grpc.WorkerHostStub(channel).Connect(metadata=(("x-stephost-secret", secret),))
    return channel, stream


async def test_a_wrong_secret_is_refused(harness: Harness) -> None:
    channel, stream = call(harness.server.socket_path, "wrong")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stream.read()
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    await channel.close()


async def test_calls_for_invocations_the_worker_does_not_hold_are_refused(harness: Harness) -> None:
    channel, stream = call(harness.server.socket_path, "good-secret")
    await stream.write(pb.WorkerMessage(pong=pb.Pong(seq=0)))
    await asyncio.wait_for(harness.connected.wait(), 5)
    await stream.write(
        pb.WorkerMessage(call=pb.CtxCall(call_id=7, invocation_id="i-not-mine", state=pb.StateCall(op=1, group="g")))
    )
    reply = await stream.read()
    assert reply.reply.call_id == 7
    assert reply.reply.error.code == "UNKNOWN_INVOCATION"
    await channel.close()


async def test_malformed_calls_and_stray_results_are_answered_or_ignored_and_the_stream_serves_on(
    harness: Harness,
) -> None:
    channel, stream = call(harness.server.socket_path, "good-secret")
    await stream.write(pb.WorkerMessage(pong=pb.Pong(seq=0)))
    await asyncio.wait_for(harness.connected.wait(), 5)
    assert harness.connection is not None
    invocation = asyncio.ensure_future(
        harness.connection.invoke(Invocation(trigger=Trigger.API, payload={}, trace_id="t"))
    )
    invoke = (await stream.read()).invoke
    # a result for an invocation nobody asked for: ignored
    await stream.write(pb.WorkerMessage(result=pb.InvocationResult(invocation_id="ghost", ok=pb.Ok())))
    # a call with no operation, bad JSON, an undeclared emit: each refused with its own code
    bad_calls = [
        pb.CtxCall(call_id=1, invocation_id=invoke.invocation_id),
        pb.CtxCall(
            call_id=2,
            invocation_id=invoke.invocation_id,
            state=pb.StateCall(op=2, group="g", key="k", value_json=b"{nope"),
        ),
        pb.CtxCall(
            call_id=3, invocation_id=invoke.invocation_id, emit=pb.EmitCall(topic="secret.topic", data_json=b"1")
        ),
        pb.CtxCall(call_id=4, invocation_id=invoke.invocation_id, state=pb.StateCall(op=99, group="g")),
    ]
    for bad in bad_calls:
        await stream.write(pb.WorkerMessage(call=bad))
    replies = {}
    for _ in bad_calls:
        reply = (await stream.read()).reply
        replies[reply.call_id] = reply.error.code
    assert replies == {1: "INVALID_ARGUMENT", 2: "INVALID_ARGUMENT", 3: "EMIT_NOT_DECLARED", 4: "INVALID_ARGUMENT"}
    # the worker is still served: its real answer completes the invocation
    await stream.write(
        pb.WorkerMessage(
            result=pb.InvocationResult(
                invocation_id=invoke.invocation_id,
                ok=pb.Ok(response=pb.ApiResponse(status=201, body_kind=pb.BODY_KIND_JSON, body=b"{}")),
            )
        )
    )
    result = await asyncio.wait_for(invocation, 5)
    assert result is not None and getattr(result, "status", None) == 201
    await channel.close()


async def test_an_oversized_message_ends_the_stream_instead_of_the_host(harness: Harness) -> None:
    channel, stream = call(harness.server.socket_path, "good-secret")
    await stream.write(pb.WorkerMessage(pong=pb.Pong(seq=0)))
    await asyncio.wait_for(harness.connected.wait(), 5)
    huge = pb.WorkerMessage(log=pb.Log(msg="x" * (65 * 2**20)))
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        await stream.write(huge)
        await stream.read()
    assert ended.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.CANCELLED)
    await channel.close()
    # the rpc edge still accepts a worker with a fresh secret
    harness.server.expect("next", harness.serve_stream)
    harness.connected.clear()
    channel2, stream2 = call(harness.server.socket_path, "next")
    await stream2.write(pb.WorkerMessage(pong=pb.Pong(seq=0)))
    await asyncio.wait_for(harness.connected.wait(), 5)
    await channel2.close()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (pb.WorkerMessage(log=pb.Log(msg="x" * (2 * 2**20))), "log"),
        (pb.WorkerMessage(pong=pb.Pong(seq=2**62)), None),  # a real pong is tiny: allowed
        (pb.WorkerMessage(drained=pb.Drained()), None),
    ],
)
async def test_a_message_over_its_kinds_limit_gets_the_worker_disconnected_and_killed(
    harness: Harness, message: pb.WorkerMessage, kind: str | None
) -> None:
    channel, stream = call(harness.server.socket_path, "good-secret")
    await stream.write(pb.WorkerMessage(pong=pb.Pong(seq=0)))
    await asyncio.wait_for(harness.connected.wait(), 5)
    await stream.write(message)
    await stream.write(pb.WorkerMessage(log=pb.Log(msg="after")))
    if kind is None:
        await asyncio.sleep(0.2)
        assert harness.killed == []
        assert [r.msg for r in harness.logs] == ["after"]
    else:
        await asyncio.wait_for(harness.served.wait(), 5)  # the host stopped reading this stream
        size = message.ByteSize()
        reason = f"step 'Api' broke the protocol: a {kind} message of {size} bytes (the limit is 1048576)"
        assert harness.killed == [reason]
        assert harness.logs == []  # neither the huge record nor anything after it
    await channel.close()
