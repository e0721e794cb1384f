"""The conformance driver's side of the wire: it plays the host for one worker at a time.

A `FakeHost` owns the gRPC server on a unix socket (the host's own transport, so a worker
dials exactly what it dials in production); `WorkerSession` starts one worker with the
five STEPHOST_* variables of docs/protocol.md §1.1 and gives the checks the messages it
sends, batches unpacked, in order. Nothing here judges the worker: the checks do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shlex
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stephost.workers.rpc_server import WorkerRpcServer, WorkerStream
from stephost_proto.v1 import worker_pb2 as pb

HELLO_TIMEOUT_S = 30.0
STREAM_NAME = "confStream"


class ConformanceFailure(AssertionError):
    """What a check found wrong, in words that name the message and the field."""


class StreamEnded(ConformanceFailure):
    pass


class NoMessage(ConformanceFailure):
    """Nothing came from the worker in the time allowed."""


@dataclass
class Received:
    """One worker message and when it arrived (monotonic seconds); batches are unpacked."""

    message: pb.WorkerMessage
    at: float
    in_batch: bool = False


class CountingRpcServer(WorkerRpcServer):
    """The host's own server, counting every stream opened (refused ones too), so a check can
    tell that a worker did not connect at all."""

    def __init__(self, socket_path: str) -> None:
        super().__init__(socket_path)
        self.streams_opened = 0

    async def Connect(self, request_iterator: Any, context: Any) -> None:  # the gRPC method name
        self.streams_opened += 1
        await super().Connect(request_iterator, context)


class FakeHost:
    """The gRPC server every session of one conformance run dials."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="stephost-conformance-")
        self.socket_path = os.path.join(self._dir, "host.sock")
        self.rpc = CountingRpcServer(self.socket_path)

    async def start(self) -> None:
        await self.rpc.start()

    async def stop(self) -> None:
        await self.rpc.stop(0.2)
        with contextlib.suppress(OSError):
            os.unlink(self.socket_path)
        with contextlib.suppress(OSError):
            os.rmdir(self._dir)


@dataclass
class CtxAnswers:
    """How the driver answers ctx calls during `WorkerSession.invoke`: a value per call
    (JSON), or an error code; `answer` may also hold back calls to answer them later."""

    answer: Callable[[pb.CtxCall], tuple[str, Any]] = field(default=lambda call: ("value", None))


@dataclass
class InvocationTrace:
    """What the worker sent for one invocation: its ctx calls, logs and result, in order."""

    result: pb.InvocationResult
    calls: list[pb.CtxCall]
    logs: list[pb.Log]
    received: list[Received]


class WorkerSession:
    """One worker process and its stream, from launch to kill."""

    def __init__(self, host: FakeHost, command: list[str], file: Path, project: Path) -> None:
        self.host = host
        self.command = command
        self.file = file
        self.project = project
        self.worker_id = f"conf-{secrets.token_hex(4)}"
        self.secret = secrets.token_hex(16)
        self.proc: asyncio.subprocess.Process | None = None
        self._stream: WorkerStream | None = None
        self._connected = asyncio.Event()
        self._inbox: asyncio.Queue[Received | None] = asyncio.Queue()
        self._handler_done = asyncio.Event()
        self.ended = False
        # Whether the worker's Hello announced it reads HostBatch ("batch": "1"); the driver,
        # like the host, sends batches only then.
        self.reads_batches = False
        self.output = bytearray()
        self._output_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ process

    async def start(self, extra_env: dict[str, str] | None = None) -> None:
        """Launch the worker; `extra_env` overrides the environment (an empty value unsets a variable)."""
        self.host.rpc.expect(self.secret, self._serve)
        env = {
            **os.environ,
            "STEPHOST_SOCKET": self.host.socket_path,
            "STEPHOST_WORKER_ID": self.worker_id,
            "STEPHOST_WORKER_SECRET": self.secret,
            "STEPHOST_STEP_FILE": str(self.file),
            "STEPHOST_PROJECT_ROOT": str(self.project),
            **(extra_env or {}),
        }
        env = {name: value for name, value in env.items() if value != ""}
        self.proc = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=self.project,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches everything it started
        )
        self._output_task = asyncio.ensure_future(self._collect_output())

    async def _collect_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while chunk := await self.proc.stdout.read(65536):
            self.output += chunk

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    async def wait_exit(self, timeout_s: float) -> int | None:
        """The exit code, or None if it still runs after `timeout_s`."""
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout_s)
        except TimeoutError:
            return None

    async def close(self) -> None:
        """Kill the worker's process group and forget its stream."""
        self.host.rpc.forget(self.secret)
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            await self.proc.wait()
        self._handler_done.set()
        if self._output_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._output_task, 2)

    # ------------------------------------------------------------------ stream

    async def _serve(self, stream: WorkerStream) -> None:
        self._stream = stream
        self._connected.set()
        reader = asyncio.ensure_future(self._read(stream))
        await self._handler_done.wait()  # the stream lives until the check is done with it
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader

    async def _read(self, stream: WorkerStream) -> None:
        try:
            while (msg := await stream.read()) is not None:
                now = time.monotonic()
                if msg.WhichOneof("kind") == "batch":
                    for inner in msg.batch.messages:
                        self._inbox.put_nowait(Received(inner, now, in_batch=True))
                else:
                    self._inbox.put_nowait(Received(msg, now))
        except Exception:  # the worker went away mid-read: the same as the end of the stream
            pass
        finally:
            self.ended = True
            self._inbox.put_nowait(None)
            self._handler_done.set()  # the worker half-closed: end the call, as the host does (H-DRAIN-4)

    def end_stream(self) -> None:
        """End the call from the host's side, as a host that goes away does."""
        self._handler_done.set()

    async def send(self, *messages: pb.HostMessage, batch: bool = False) -> None:
        """Send `messages`; with `batch`, as one HostBatch when the worker reads batches."""
        if self._stream is None:
            raise ConformanceFailure("the worker never opened its stream")
        if batch and self.reads_batches:
            await self._stream.write(pb.HostMessage(batch=pb.HostBatch(messages=list(messages))))
            return
        for msg in messages:
            await self._stream.write(msg)

    async def recv(self, timeout_s: float, what: str) -> Received:
        """The next worker message; `what` says what was expected, for the failure."""
        try:
            item = await asyncio.wait_for(self._inbox.get(), timeout_s)
        except TimeoutError:
            raise NoMessage(f"no message from the worker within {timeout_s:g} s (waiting for {what})") from None
        if item is None:
            self._inbox.put_nowait(None)  # stays ended for later readers
            raise StreamEnded(f"the worker's stream ended while waiting for {what}")
        return item

    async def next_within(self, timeout_s: float) -> pb.WorkerMessage | None:
        """The next worker message, or None when none comes within `timeout_s` (for checks that
        expect silence); StreamEnded when the stream ends."""
        try:
            return (await self.recv(timeout_s, "")).message
        except NoMessage:
            return None

    # ------------------------------------------------------------------ handshake

    @property
    def connected(self) -> bool:
        """Whether the worker opened its stream with its secret."""
        return self._connected.is_set()

    async def hello(self, timeout_s: float = HELLO_TIMEOUT_S) -> Received:
        """The first message after connecting (Hello or LoadFailure)."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        except TimeoutError:
            raise ConformanceFailure(
                f"the worker did not connect to unix:{self.host.socket_path} with its secret within {timeout_s:g} s"
                + self.output_tail()
            ) from None
        return await self.recv(timeout_s, "Hello")

    async def welcome(self, step_name: str, *, batch: bool = True, max_message_bytes: int = 64 * 1024 * 1024) -> None:
        await self.send(
            pb.HostMessage(
                welcome=pb.Welcome(
                    protocol_version=1,
                    step_name=step_name,
                    stream_names=[STREAM_NAME],
                    max_message_bytes=max_message_bytes,
                    capabilities={"batch": "1"} if batch else {},
                )
            )
        )

    async def ready(self, *, batch: bool = True, max_message_bytes: int = 64 * 1024 * 1024) -> pb.Hello:
        """Hello, then Welcome: a worker ready for invocations. Fails on a LoadFailure."""
        first = (await self.hello()).message
        if first.WhichOneof("kind") != "hello":
            raise ConformanceFailure(f"expected Hello, got {describe(first)}")
        config = json.loads(first.hello.config_json or b"null")
        name = str(config.get("name", "")) if isinstance(config, dict) else ""
        self.reads_batches = first.hello.capabilities.get("batch") == "1"
        await self.welcome(name, batch=batch, max_message_bytes=max_message_bytes)
        return first.hello

    # ------------------------------------------------------------------ invocations

    async def invoke(
        self,
        invocation_id: str,
        trigger: int,
        payload: Any,
        *,
        answers: CtxAnswers | None = None,
        timeout_s: float = 10.0,
        deadline_unix_ms: int = 0,
        trace_id: str = "trace-conformance",
        raw_payload: bytes | None = None,
    ) -> InvocationTrace:
        """Send one Invoke and answer its ctx calls until its result arrives."""
        await self.send(invoke_message(invocation_id, trigger, payload, deadline_unix_ms, trace_id, raw_payload))
        return await self.collect(invocation_id, answers=answers, timeout_s=timeout_s)

    async def collect(
        self, invocation_id: str, *, answers: CtxAnswers | None = None, timeout_s: float = 10.0
    ) -> InvocationTrace:
        """Answer ctx calls (of any invocation) and gather what belongs to `invocation_id` until its result."""
        answers = answers or CtxAnswers()
        calls: list[pb.CtxCall] = []
        logs: list[pb.Log] = []
        received: list[Received] = []
        deadline = time.monotonic() + timeout_s
        while True:
            item = await self.recv(max(0.01, deadline - time.monotonic()), f"the result of {invocation_id}")
            msg = item.message
            kind = msg.WhichOneof("kind")
            if kind == "call":
                if msg.call.invocation_id == invocation_id:
                    calls.append(msg.call)
                    received.append(item)
                await self.send(reply_message(msg.call.call_id, *answers.answer(msg.call)))
            elif kind == "log":
                if msg.log.invocation_id == invocation_id:
                    logs.append(msg.log)
                    received.append(item)
            elif kind == "pong":
                continue
            elif kind == "result":
                if msg.result.invocation_id == invocation_id:
                    received.append(item)
                    return InvocationTrace(msg.result, calls, logs, received)
            else:
                raise ConformanceFailure(f"while running {invocation_id}: unexpected {describe(msg)}")

    def output_tail(self, limit: int = 2000) -> str:
        text = self.output.decode(errors="replace").strip()
        return f"\n--- worker output ---\n{text[-limit:]}" if text else ""


def invoke_message(
    invocation_id: str,
    trigger: int,
    payload: Any,
    deadline_unix_ms: int = 0,
    trace_id: str = "trace-conformance",
    raw_payload: bytes | None = None,
) -> pb.HostMessage:
    data = raw_payload if raw_payload is not None else json.dumps(payload, ensure_ascii=False).encode()
    return pb.HostMessage(
        invoke=pb.Invoke(
            invocation_id=invocation_id,
            trigger=trigger,
            payload_json=data,
            trace_id=trace_id,
            deadline_unix_ms=deadline_unix_ms,
            attempt=1,
            flows=["conformance"],
        )
    )


def reply_message(call_id: int, outcome: str, value: Any) -> pb.HostMessage:
    if outcome == "error":
        code, message = value
        return pb.HostMessage(reply=pb.CtxReply(call_id=call_id, error=pb.Error(code=code, message=message)))
    return pb.HostMessage(reply=pb.CtxReply(call_id=call_id, value_json=json.dumps(value).encode()))


def api_payload(body: Any, **extra: Any) -> dict[str, Any]:
    return {
        "body": body,
        "headers": {"content-type": "application/json"},
        "pathParams": {},
        "queryParams": {},
        "rawBody": json.dumps(body),
        **extra,
    }


def describe(msg: pb.WorkerMessage) -> str:
    """A message for a failure text: its kind and a short view of its fields."""
    kind = msg.WhichOneof("kind")
    text = str(getattr(msg, kind or "")).replace("\n", " ")
    return f"{kind or 'an empty message'} {{{text[:300]}}}"


def split_command(command: str) -> list[str]:
    parts = shlex.split(command)
    if not parts:
        raise ValueError("--worker needs a command, e.g. --worker 'python -m stephost_sdk.worker'")
    # The worker runs in the fixtures folder: a relative path in the command (the program, a
    # script) means one from where the command was given.
    return [
        os.path.abspath(part) if not os.path.isabs(part) and ("/" in part) and os.path.exists(part) else part
        for part in parts
    ]
