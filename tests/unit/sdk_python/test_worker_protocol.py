"""The worker as the host sees it: a real process on a real gRPC unix socket.

The test plays the host with a grpc.aio server implementing WorkerHost.Connect,
spawns `python -m stephost_sdk.worker` for a fixture step and talks the protocol.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest

from stephost_proto.v1 import worker_pb2 as pb
from stephost_proto.v1 import worker_pb2_grpc

from .fakes import FIXTURE_PROJECT

REPO = Path(__file__).resolve().parents[3]
SECRET = "s3cret"
READ_TIMEOUT_S = 15.0


class FakeHost(worker_pb2_grpc.WorkerHostServicer):  # type: ignore[misc]
    """One Connect stream at a time; the test reads `inbox` and writes `outbox`."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.outbox: asyncio.Queue[Any] = asyncio.Queue()
        self.metadata: dict[str, str] = {}
        self.logs: list[Any] = []

    async def Connect(self, request_iterator: Any, context: grpc.aio.ServicerContext) -> None:
        self.metadata = {key: value for key, value in context.invocation_metadata()}
        if self.metadata.get("x-stephost-secret") != SECRET:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad secret")

        async def pump() -> None:
            while True:
                message = await context.read()
                if message is grpc.aio.EOF:
                    await self.inbox.put(None)
                    return
                await self.inbox.put(message)

        reader = asyncio.create_task(pump())
        try:
            while True:
                message = await self.outbox.get()
                if message is None:  # the test ends the stream
                    return
                await context.write(message)
        finally:
            reader.cancel()

    async def receive(self, *, skip_logs: bool = True) -> Any:
        """The next worker message (Log records are collected and skipped)."""
        while True:
            message = await asyncio.wait_for(self.inbox.get(), READ_TIMEOUT_S)
            if skip_logs and message is not None and message.WhichOneof("kind") == "log":
                self.logs.append(message.log)
                continue
            return message


@dataclass
class Worker:
    host: FakeHost
    process: asyncio.subprocess.Process
    output: Path


@pytest.fixture
async def host_and_worker(request: pytest.FixtureRequest) -> AsyncIterator[Worker]:
    step = getattr(request, "param", "steps/api/orders_step.py")
    # Unix socket paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    directory = tempfile.mkdtemp(prefix="sh-sdk-", dir="/tmp")
    socket_path = os.path.join(directory, "host.sock")
    host = FakeHost()
    server = grpc.aio.server()
    worker_pb2_grpc.add_WorkerHostServicer_to_server(host, server)
    server.add_insecure_port(f"unix:{socket_path}")
    await server.start()

    output = Path(directory) / "worker.out"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(REPO / part) for part in ("proto/gen/python", "sdk_python", "host")),
        "PYTHONUNBUFFERED": "1",
        "STEPHOST_SOCKET": socket_path,
        "STEPHOST_WORKER_ID": "w-1",
        "STEPHOST_WORKER_SECRET": SECRET,
        "STEPHOST_STEP_FILE": str(FIXTURE_PROJECT / step),
        "STEPHOST_PROJECT_ROOT": str(FIXTURE_PROJECT),
    }
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "stephost_sdk.worker",
            cwd=FIXTURE_PROJECT,
            env=env,
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        yield Worker(host, process, output)
    finally:
        if process.returncode is None:
            process.kill()  # by pid: the process this fixture started
            await process.wait()
        await server.stop(grace=None)
        shutil.rmtree(directory, ignore_errors=True)


def invoke(invocation_id: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    payload = {
        "body": body,
        "headers": headers or {},
        "pathParams": {},
        "queryParams": {},
        "rawBody": json.dumps(body),
    }
    return pb.HostMessage(
        invoke=pb.Invoke(
            invocation_id=invocation_id,
            trigger=pb.TRIGGER_KIND_API,
            payload_json=json.dumps(payload).encode(),
            trace_id=f"trace-{invocation_id}",
            attempt=1,
            flows=["orders"],
        )
    )


@pytest.mark.timeout(60)
async def test_a_worker_says_hello_serves_invocations_answers_pings_and_drains(
    host_and_worker: Worker,
) -> None:
    host, process = host_and_worker.host, host_and_worker.process

    # Hello, with the step's config made JSON.
    hello = await host.receive()
    assert hello.WhichOneof("kind") == "hello", host_and_worker.output.read_text()
    assert host.metadata["x-stephost-secret"] == SECRET
    assert (hello.hello.protocol_version, hello.hello.sdk_name, hello.hello.sdk_version) == (
        1,
        "stephost-python",
        "0.1.0",
    )
    assert (hello.hello.language, hello.hello.worker_id, hello.hello.middleware_count) == ("python", "w-1", 1)
    config = json.loads(hello.hello.config_json)
    assert config["name"] == "CreateOrderApi"
    assert "middleware" not in config
    assert config["bodySchema"]["required"] == ["quantity", "unit_cents"]
    assert set(config["responseSchema"]) == {"201", "400"}
    assert config["responseSchema"]["201"]["properties"]["total_cents"]["type"] == "integer"

    await host.outbox.put(
        pb.HostMessage(welcome=pb.Welcome(protocol_version=1, step_name="CreateOrderApi", max_message_bytes=1 << 20))
    )

    # An API invocation whose handler calls state.set, answered by the "host".
    await host.outbox.put(invoke("inv-1", {"quantity": 3, "unit_cents": 250}, {"x-user": "ada"}))
    call = await host.receive()
    assert call.WhichOneof("kind") == "call"
    assert call.call.invocation_id == "inv-1"
    assert (call.call.state.op, call.call.state.group, call.call.state.key) == (
        pb.STATE_OP_SET,
        "orders",
        "last",
    )
    assert json.loads(call.call.state.value_json) == {"total": 750}
    await host.outbox.put(pb.HostMessage(reply=pb.CtxReply(call_id=call.call.call_id, value_json=b'{"total":750}')))

    result = await host.receive()
    assert result.WhichOneof("kind") == "result"
    assert result.result.invocation_id == "inv-1"
    assert result.result.WhichOneof("outcome") == "ok"
    response = result.result.ok.response
    assert response.status == 201
    assert response.body_kind == pb.BODY_KIND_JSON
    assert json.loads(response.body) == {"id": "ada", "total_cents": 750}
    assert [(h.name, h.value) for h in response.headers] == [
        ("x-trace", "trace-inv-1"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
    assert [(log.invocation_id, log.level, log.msg, json.loads(log.fields_json)) for log in host.logs] == [
        ("inv-1", "info", "order stored", {"user": "ada"})
    ]

    # Ping -> Pong with the same seq.
    await host.outbox.put(pb.HostMessage(ping=pb.Ping(seq=41)))
    pong = await host.receive()
    assert (pong.WhichOneof("kind"), pong.pong.seq) == ("pong", 41)

    # A raising handler -> HANDLER_ERROR with class name and traceback.
    await host.outbox.put(invoke("inv-2", {"fail": True}))
    failed = await host.receive()
    assert failed.result.invocation_id == "inv-2"
    error = failed.result.error
    assert (error.code, error.name, error.message) == (
        "HANDLER_ERROR",
        "ValueError",
        "the order was refused on purpose",
    )
    assert "Traceback" in error.stack and "orders_step.py" in error.stack

    # Drain -> Drained, then the stream closes and the process exits 0.
    await host.outbox.put(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int(time.time() * 1000) + 10_000)))
    drained = await host.receive()
    assert drained.WhichOneof("kind") == "drained"
    assert await host.receive() is None, "the worker half-closes the stream after Drained"
    await host.outbox.put(None)
    assert await asyncio.wait_for(process.wait(), READ_TIMEOUT_S) == 0, host_and_worker.output.read_text()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("host_and_worker", ["steps/orders/no_handler_step.py"], indirect=True)
async def test_a_step_that_cannot_load_sends_load_failure_and_exits_1(host_and_worker: Worker) -> None:
    host, process = host_and_worker.host, host_and_worker.process

    failure = await host.receive()

    assert failure.WhichOneof("kind") == "load_failure", host_and_worker.output.read_text()
    assert failure.load_failure.worker_id == "w-1"
    assert failure.load_failure.error.code == "HANDLER_MISSING"
    assert "no_handler_step.py" in failure.load_failure.error.message
    await host.outbox.put(None)
    assert await asyncio.wait_for(process.wait(), READ_TIMEOUT_S) == 1


def can_access_invoke(invocation_id: str, group_id: str, auth_context: Any, item_id: str | None = None) -> Any:
    subscription: dict[str, Any] = {"groupId": group_id}
    if item_id is not None:
        subscription["id"] = item_id
    return pb.HostMessage(
        invoke=pb.Invoke(
            invocation_id=invocation_id,
            trigger=pb.TRIGGER_KIND_CAN_ACCESS,
            payload_json=json.dumps({"subscription": subscription, "authContext": auth_context}).encode(),
            trace_id=f"trace-{invocation_id}",
            attempt=1,
        )
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("host_and_worker", ["steps/streams/todo_stream.py"], indirect=True)
async def test_a_stream_file_says_hello_with_its_functions_and_answers_can_access(host_and_worker: Worker) -> None:
    host, process = host_and_worker.host, host_and_worker.process

    # Hello: the Pydantic item schema as JSON Schema, canAccess gone from the
    # config and named in `functions`; no HANDLER_MISSING for the missing handler.
    hello = await host.receive()
    assert hello.WhichOneof("kind") == "hello", host_and_worker.output.read_text()
    assert list(hello.hello.functions) == ["canAccess"]
    assert hello.hello.middleware_count == 0
    config = json.loads(hello.hello.config_json)
    assert set(config) == {"name", "schema", "baseConfig"}
    assert config["name"] == "todo"
    assert config["baseConfig"] == {"storageType": "default"}
    assert config["schema"]["required"] == ["id", "title"]
    assert config["schema"]["properties"]["done"]["type"] == "boolean"

    await host.outbox.put(
        pb.HostMessage(welcome=pb.Welcome(protocol_version=1, step_name="todo", stream_names=["todo"]))
    )

    # By the subscription's groupId and the authContext, several in flight at once.
    cases: dict[str, tuple[str, Any, str | None, bytes]] = {
        "member": ("user-7", {"userId": "7"}, None, b"true"),
        "other": ("user-7", {"userId": "8"}, "item-1", b"false"),
        "anonymous": ("user-7", None, None, b"false"),
        "admin": ("user-1", {"userId": "9", "admin": True}, None, b"true"),  # canAccess returns 1
    }
    for invocation_id, (group_id, auth_context, item_id, _) in cases.items():
        await host.outbox.put(can_access_invoke(invocation_id, group_id, auth_context, item_id))
    answers = {}
    for _ in cases:
        message = await host.receive()
        assert message.WhichOneof("kind") == "result", message
        assert message.result.WhichOneof("outcome") == "ok", message.result.error
        assert not message.result.ok.HasField("response")
        answers[message.result.invocation_id] = message.result.ok.value_json
    assert answers == {invocation_id: case[3] for invocation_id, case in cases.items()}

    # A raising canAccess: HANDLER_ERROR with the stack (the host denies the join).
    await host.outbox.put(can_access_invoke("boom", "boom", {"userId": "7"}))
    failed = await host.receive()
    assert failed.result.invocation_id == "boom"
    error = failed.result.error
    assert (error.code, error.name, error.message) == ("HANDLER_ERROR", "LookupError", "canAccess exploded")
    assert "todo_stream.py" in error.stack

    # A stream file has no handler for other triggers.
    await host.outbox.put(invoke("api-on-stream", {}))
    refused = await host.receive()
    assert (refused.result.invocation_id, refused.result.error.code) == ("api-on-stream", "HANDLER_MISSING")

    await host.outbox.put(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int(time.time() * 1000) + 10_000)))
    assert (await host.receive()).WhichOneof("kind") == "drained"
    assert await host.receive() is None
    await host.outbox.put(None)
    assert await asyncio.wait_for(process.wait(), READ_TIMEOUT_S) == 0
    # print() inside canAccess reaches stdout, which the host captures.
    assert "canAccess user-7/item-1" in host_and_worker.output.read_text()


async def start_stuck_invocation(worker: Worker) -> None:
    """Welcome the Stuck step's worker, invoke it and cancel the invocation."""
    host = worker.host
    hello = await host.receive()
    assert hello.WhichOneof("kind") == "hello", worker.output.read_text()
    await host.outbox.put(pb.HostMessage(welcome=pb.Welcome(protocol_version=1, step_name="Stuck")))
    await host.outbox.put(invoke("stuck", {}))
    await asyncio.sleep(0.2)
    await host.outbox.put(pb.HostMessage(cancel=pb.Cancel(invocation_id="stuck", reason="deadline")))
    # No reply while the thread runs, so that a real host kills the worker; Pings are still answered.
    await asyncio.sleep(0.5)
    await host.outbox.put(pb.HostMessage(ping=pb.Ping(seq=7)))
    pong = await host.receive()
    assert (pong.WhichOneof("kind"), pong.pong.seq) == ("pong", 7), pong


@pytest.mark.timeout(60)
@pytest.mark.parametrize("host_and_worker", ["steps/stuck/stuck_step.py"], indirect=True)
async def test_a_cancelled_plain_handler_that_never_returns_holds_its_reply_until_the_drain_deadline(
    host_and_worker: Worker,
) -> None:
    host, process = host_and_worker.host, host_and_worker.process
    await start_stuck_invocation(host_and_worker)

    await host.outbox.put(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int(time.time() * 1000) + 1_000)))
    result = await host.receive()
    assert result.WhichOneof("kind") == "result", result
    assert (result.result.invocation_id, result.result.error.code, result.result.error.message) == (
        "stuck",
        "CANCELLED",
        "deadline",
    )
    assert (await host.receive()).WhichOneof("kind") == "drained"
    assert await host.receive() is None
    await host.outbox.put(None)
    # The thread still sleeps; the worker exits without it.
    assert await asyncio.wait_for(process.wait(), READ_TIMEOUT_S) == 0, host_and_worker.output.read_text()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("host_and_worker", ["steps/stuck/stuck_step.py"], indirect=True)
async def test_a_worker_whose_stream_ends_does_not_wait_for_a_cancelled_thread(host_and_worker: Worker) -> None:
    host, process = host_and_worker.host, host_and_worker.process
    await start_stuck_invocation(host_and_worker)

    await host.outbox.put(None)  # the host goes away
    assert await asyncio.wait_for(process.wait(), READ_TIMEOUT_S) == 3, host_and_worker.output.read_text()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("host_and_worker", ["steps/reports/report_step.py"], indirect=True)
async def test_hello_lists_the_project_files_the_step_loaded(host_and_worker: Worker) -> None:
    host = host_and_worker.host

    hello = await host.receive()

    assert hello.WhichOneof("kind") == "hello", host_and_worker.output.read_text()
    # The step, its sibling helper (relative import) and its `src` helper; not json
    # or pydantic, not the namespace packages `steps`/`src`, not the SDK, and not
    # src.services.pricing, which the handler imports only when it runs.
    project = FIXTURE_PROJECT.resolve()
    assert list(hello.hello.source_files) == [
        str(project / "src" / "lib.py"),
        str(project / "steps" / "reports" / "format.py"),
        str(project / "steps" / "reports" / "report_step.py"),
    ]
    await host.outbox.put(None)  # the host goes away; the fixture kills the worker if it is still there


@pytest.mark.timeout(60)
@pytest.mark.parametrize("host_and_worker", ["steps/streams/todo_stream.py"], indirect=True)
async def test_batches_go_both_ways_once_both_sides_said_so(host_and_worker: Worker) -> None:
    host = host_and_worker.host
    hello = await host.receive()
    assert hello.hello.capabilities["batch"] == "1"
    await host.outbox.put(
        pb.HostMessage(
            welcome=pb.Welcome(protocol_version=1, step_name="todo", stream_names=["todo"], capabilities={"batch": "1"})
        )
    )
    ids = [f"b{i}" for i in range(20)]
    invokes = [can_access_invoke(i, "user-7", {"userId": "7" if n % 2 == 0 else "8"}) for n, i in enumerate(ids)]
    await host.outbox.put(pb.HostMessage(batch=pb.HostBatch(messages=invokes)))
    answers: dict[str, bytes] = {}
    batch_sizes: list[int] = []
    while len(answers) < len(ids):
        message = await host.receive()
        inner = [message]
        if message.WhichOneof("kind") == "batch":
            inner = list(message.batch.messages)
            batch_sizes.append(len(inner))
        for one in inner:
            assert one.WhichOneof("kind") == "result", one
            answers[one.result.invocation_id] = one.result.ok.value_json
    # every invocation of the HostBatch ran, each answered once and rightly
    assert answers == {i: b"true" if n % 2 == 0 else b"false" for n, i in enumerate(ids)}
    # twenty results ready at once leave in fewer writes than twenty
    assert batch_sizes and all(size >= 2 for size in batch_sizes)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("host_and_worker", ["steps/plain/plain_step.py"], indirect=True)
async def test_a_step_that_does_not_use_pydantic_is_served_without_loading_it(host_and_worker: Worker) -> None:
    # Loading pydantic costs every worker start-up time and several MiB for its
    # whole life (issue 9); a step that never imports it must not pay for it,
    # even when it hands the SDK datetimes, UUIDs, dataclasses, enums and sets.
    host = host_and_worker.host
    hello = await host.receive()
    assert hello.WhichOneof("kind") == "hello", host_and_worker.output.read_text()
    assert json.loads(hello.hello.config_json)["bodySchema"] == {"type": "object"}
    await host.outbox.put(pb.HostMessage(welcome=pb.Welcome(protocol_version=1, step_name="PlainApi")))

    await host.outbox.put(invoke("inv-1", {}))
    state = await host.receive()
    assert json.loads(state.call.state.value_json) == {"sku": "a-1", "quantity": 2, "shipped": "2024-05-06"}
    await host.outbox.put(pb.HostMessage(reply=pb.CtxReply(call_id=state.call.call_id, value_json=b"null")))
    emit = await host.receive()
    assert json.loads(emit.call.emit.data_json) == {"tags": ["x"], "colour": "red", "price": "9.90"}
    await host.outbox.put(pb.HostMessage(reply=pb.CtxReply(call_id=emit.call.call_id, value_json=b"null")))
    result = await host.receive()
    assert result.result.WhichOneof("outcome") == "ok", result
    assert json.loads(result.result.ok.response.body) == {
        "at": "2024-05-06T07:08:09.123456Z",
        "id": "00000000-0000-0000-0000-000000000001",
        "time": "07:08:09.123456",
    }
    assert [json.loads(log.fields_json) for log in host.logs] == [
        {"at": "2024-05-06T07:08:09.123456Z", "id": "00000000-0000-0000-0000-000000000001"}
    ]

    await host.outbox.put(invoke("inv-2", {"report": True}))
    report = await host.receive()
    assert json.loads(report.result.ok.response.body) == {"loaded": []}, "pydantic was imported for a step without it"
    await host.outbox.put(None)
