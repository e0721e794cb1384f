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

from stephost.errors import ERROR_CODES
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
        # Every rule a worker broke on any message of the run (see `message_violations`).
        self.violations: list[str] = []

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
        self._closed = False
        self.before_welcome: list[pb.WorkerMessage] = []  # what came between Hello and a held Welcome
        # What the driver's Welcome said, once sent: the rules on every later message depend on it.
        self.welcomed = False
        self.batches_announced = False
        self.max_message_bytes = 64 * 1024 * 1024
        self.violations: list[str] = []  # rules broken on any message of this session

    # ------------------------------------------------------------------ process

    async def start(self, extra_env: dict[str, str] | None = None, *, bare: bool = False) -> None:
        """Launch the worker; `extra_env` overrides the environment (an empty value unsets a
        variable). With `bare`, the worker gets the five variables and PATH, nothing else."""
        self.host.rpc.expect(self.secret, self._serve)
        env = {
            **({"PATH": os.environ.get("PATH", os.defpath)} if bare else os.environ),
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
        """Kill the worker's process group and forget its stream (once; later calls do nothing)."""
        if self._closed:
            return
        self._closed = True
        self.host.rpc.forget(self.secret)
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            await self.proc.wait()
        self._handler_done.set()
        if self._output_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._output_task, 2)
        if problem := output_problem(bytes(self.output)):
            self._violated(problem)

    def _violated(self, problem: str) -> None:
        self.violations.append(problem)
        self.host.violations.append(f"{self.file.name}: {problem}")

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
                for problem in message_violations(
                    msg, welcomed=self.welcomed, batches=self.batches_announced, limit=self.max_message_bytes
                ):
                    self._violated(problem)
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

    async def welcome(
        self,
        step_name: str,
        *,
        batch: bool = True,
        max_message_bytes: int = 64 * 1024 * 1024,
        extra_capabilities: dict[str, str] | None = None,
    ) -> None:
        self.welcomed = True
        self.batches_announced = batch
        self.max_message_bytes = max_message_bytes
        await self.send(
            pb.HostMessage(
                welcome=pb.Welcome(
                    protocol_version=1,
                    step_name=step_name,
                    stream_names=[STREAM_NAME],
                    max_message_bytes=max_message_bytes,
                    capabilities={**({"batch": "1"} if batch else {}), **(extra_capabilities or {})},
                )
            )
        )

    async def ready(
        self,
        *,
        batch: bool = True,
        max_message_bytes: int = 64 * 1024 * 1024,
        extra_capabilities: dict[str, str] | None = None,
        hold_welcome_s: float = 0.0,
    ) -> pb.Hello:
        """Hello, then Welcome: a worker ready for invocations. Fails on a LoadFailure. With
        `hold_welcome_s`, the Welcome waits that long after the Hello; what the worker sends
        meanwhile is kept in `before_welcome`."""
        first = (await self.hello()).message
        if first.WhichOneof("kind") != "hello":
            raise ConformanceFailure(f"expected Hello, got {describe(first)}")
        config = json.loads(first.hello.config_json or b"null")
        name = str(config.get("name", "")) if isinstance(config, dict) else ""
        self.reads_batches = first.hello.capabilities.get("batch") == "1"
        ends = time.monotonic() + hold_welcome_s
        while (left := ends - time.monotonic()) > 0 and (msg := await self.next_within(left)) is not None:
            self.before_welcome.append(msg)
        await self.welcome(
            name, batch=batch, max_message_bytes=max_message_bytes, extra_capabilities=extra_capabilities
        )
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
        attempt: int = 1,
        event_id: str = "",
    ) -> InvocationTrace:
        """Send one Invoke and answer its ctx calls until its result arrives."""
        await self.send(
            invoke_message(
                invocation_id,
                trigger,
                payload,
                deadline_unix_ms,
                trace_id,
                raw_payload,
                attempt=attempt,
                event_id=event_id,
            )
        )
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


# Codes a worker may send in an InvocationResult (§5): all but the host's own (W-CODE-1, W-ERR-5).
WORKER_RESULT_CODES = frozenset(ERROR_CODES) - {"WORKER_CRASHED", "TIMEOUT"}
NOT_IN_A_BATCH = ("batch", "hello", "load_failure")  # W-BATCH-3
BEFORE_WELCOME = ("hello", "load_failure", "log")  # W-WELCOME-1


def message_violations(msg: pb.WorkerMessage, *, welcomed: bool, batches: bool, limit: int) -> list[str]:
    """The rules one worker message breaks whatever the check: they hold on every message, so
    the driver watches every message of every session for them."""
    problems: list[str] = []
    kind = msg.WhichOneof("kind")
    if not welcomed and kind not in BEFORE_WELCOME:
        problems.append(f"W-WELCOME-1: the worker sent {describe(msg)} before Welcome")
    inner = list(msg.batch.messages) if kind == "batch" else [msg]
    if kind == "batch":
        if not batches:
            problems.append("W-VER-5: a WorkerBatch though the Welcome did not announce batches")
        if msg.ByteSize() > limit:
            problems.append(f"W-BATCH-4: a WorkerBatch of {msg.ByteSize()} bytes over the {limit} allowed")
        problems += [
            f"W-BATCH-3: a WorkerBatch holds a {m.WhichOneof('kind')}"
            for m in inner
            if m.WhichOneof("kind") in NOT_IN_A_BATCH
        ]
    for one in inner:
        if one.WhichOneof("kind") == "result" and one.result.WhichOneof("outcome") == "error":
            code = one.result.error.code
            if code not in WORKER_RESULT_CODES:
                problems.append(f"W-CODE-1: InvocationResult {one.result.invocation_id} has the code {code!r}")
        problems += [f"W-JSON-1: {where}" for where in bad_json_fields(one)]
        if one.WhichOneof("kind") == "result" and one.result.ok.response.body_kind == pb.BODY_KIND_JSON:
            body = one.result.ok.response.body
            if (problem := json_problem(body)) is not None:
                problems.append(f"W-API-5: a JSON ApiResponse.body {problem}")
    return problems


def bad_json_fields(message: Any, path: str = "") -> list[str]:
    """Every `*_json` bytes field of `message` (nested ones too) that is not strict UTF-8 JSON."""
    problems: list[str] = []
    for descriptor, value in message.ListFields():
        where = f"{path}{descriptor.name}"
        if descriptor.message_type is not None:
            # one message, a repeated field of them, or a map (whose values may be scalars)
            items = [value] if hasattr(value, "ListFields") else value.values() if hasattr(value, "values") else value
            for item in items:
                if hasattr(item, "ListFields"):
                    problems += bad_json_fields(item, f"{where}.")
        elif descriptor.name.endswith("_json") and isinstance(value, bytes) and (problem := json_problem(value)):
            problems.append(f"{where} {problem}")
    return problems


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def json_problem(data: bytes) -> str | None:
    """Why `data` is not RFC 8259 JSON in UTF-8 (no BOM, no NaN or Infinity), or None (empty is null)."""
    if not data:
        return None
    try:
        json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        return f"is not UTF-8 JSON ({exc}): {data[:80]!r}"
    return None


def output_problem(output: bytes) -> str | None:
    """W-OUT-1: standard output and error belong to user code and diagnostics, which are text.
    Protocol data written there (protobuf frames) shows up as bytes that are not UTF-8 text or
    as control characters that text does not hold."""
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"W-OUT-1: the worker's output is not text ({exc})"
    control = [c for c in text if ord(c) < 32 and c not in "\t\n\r\x1b"]
    if control:
        return f"W-OUT-1: the worker's output holds control characters {sorted(set(control))!r}"
    return None


def invoke_message(
    invocation_id: str,
    trigger: int,
    payload: Any,
    deadline_unix_ms: int = 0,
    trace_id: str = "trace-conformance",
    raw_payload: bytes | None = None,
    *,
    attempt: int = 1,
    event_id: str = "",
) -> pb.HostMessage:
    data = raw_payload if raw_payload is not None else json.dumps(payload, ensure_ascii=False).encode()
    return pb.HostMessage(
        invoke=pb.Invoke(
            invocation_id=invocation_id,
            trigger=trigger,
            payload_json=data,
            trace_id=trace_id,
            deadline_unix_ms=deadline_unix_ms,
            attempt=attempt,
            flows=["conformance"],
            event_id=event_id,
        )
    )


def reply_message(call_id: int, outcome: str, value: Any) -> pb.HostMessage:
    """A CtxReply: outcome "value" (JSON), "error" ((code, message)) or "raw" (value_json bytes as given)."""
    if outcome == "error":
        code, message = value
        return pb.HostMessage(reply=pb.CtxReply(call_id=call_id, error=pb.Error(code=code, message=message)))
    if outcome == "raw":
        return pb.HostMessage(reply=pb.CtxReply(call_id=call_id, value_json=value))
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
