"""One step file's worker: start it, hand it invocations, restart it when it dies.

The host owns all timing: the hello deadline, heartbeats, invocation deadlines and
the kill after a grace period. A crash fails the invocations the worker held at
once; the next invocation waits for the restarted worker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import secrets
import signal
import time
from pathlib import Path
from typing import Any

from stephost import errors
from stephost.config import StepDefinition
from stephost.errors import InvocationFailed, WorkerUnavailable
from stephost.types import CtxHandler, Invocation, InvocationResult, LogRecord, LogSink
from stephost.workers.connection import BATCH_CAPABILITY, HOST_CAPABILITIES, WorkerConnection
from stephost.workers.forkserver import ForkServer, ForkServerUnavailable
from stephost.workers.hello import Hello, LoadFailed
from stephost.workers.launch import LaunchSpec, WorkerIdentity, language_of, launch_spec
from stephost.workers.output import log_output
from stephost.workers.process_exit import WorkerProcess, describe_exit, process_exit
from stephost.workers.rpc_server import MAX_MESSAGE_BYTES, WorkerRpcServer, WorkerStream
from stephost.workers.sandbox import CgroupSandbox, WorkerLimits
from stephost.workers.usage import ProcessUsage, tree_rss
from stephost_proto.v1 import worker_pb2 as pb

log = logging.getLogger("stephost.workers")

PROTOCOL_VERSION = 1
HELLO_TIMEOUT_S = 30.0
READY_WAIT_S = 30.0
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 5.0
STABLE_AFTER_S = 10.0
# This many exits within the window mark a step unhealthy: its api answers 503, its events
# wait in the queue (no attempts used), and a restart is tried every UNHEALTHY_RETRY_S.
CRASH_LIMIT = 5
CRASH_WINDOW_S = 60.0
UNHEALTHY_RETRY_S = 5.0
MEMORY_CHECK_INTERVAL_S = 0.2
STREAM_GONE_GRACE_S = 1.0
# Once a worker has exited, how long what is left in its stdout/stderr pipes may take to be logged.
# Without a cgroup, a child that left its process group may hold the pipes open for good.
PIPE_DRAIN_S = 2.0


class StepWorker:
    """Supervises the worker process of one step file."""

    def __init__(
        self,
        file: Path,
        project: Path,
        rpc: WorkerRpcServer,
        *,
        ctx_handler: CtxHandler,
        log_sink: LogSink,
        worker_id: str,
        base_env: dict[str, str] | None = None,
        sandbox: CgroupSandbox | None = None,
        limits: WorkerLimits | None = None,
        command_prefix: tuple[str, ...] = (),
        fork_server: ForkServer | None = None,
    ) -> None:
        self.file = file
        self.project = project
        self.rel_file = str(file.relative_to(project))
        self.language = language_of(file)
        self.worker_id = worker_id
        self._base_env = base_env if base_env is not None else {}
        self._sandbox = sandbox
        self._command_prefix = command_prefix
        # The host has a launcher only where forking gives the same worker (no isolation prefix).
        self._fork_server = fork_server if self.language == "python" else None
        self.limits = limits or WorkerLimits()
        if sandbox is not None:
            sandbox.apply(worker_id, self.limits)
        self.step: StepDefinition | None = None
        # The project files its step file loaded (from its hello): `dev` restarts it when one changes.
        self.source_files: tuple[str, ...] = ()
        self.restarts = 0
        self.state = "new"  # new, starting, ready, restarting, stopped, failed
        self.last_error: str | None = None
        self.stream_names: list[str] = []  # told to the worker in Welcome, for ctx.streams
        self.unhealthy = False
        # RSS bound of the worker and its children, from infrastructure.handler.ram or the project default.
        self.ram_limit_mb: int | None = None
        self._memory_watch: asyncio.Task[None] | None = None
        self._became_unhealthy = asyncio.Event()
        self._usage = ProcessUsage()
        self._crashes: collections.deque[float] = collections.deque()
        self._rpc = rpc
        self._ctx_handler = ctx_handler
        self._log_sink = log_sink
        self._proc: WorkerProcess | None = None
        self._connection: WorkerConnection | None = None
        self._held: WorkerConnection | None = None
        self._ready = asyncio.Event()
        # Set once the first process has been started (Host.load times its imports by it).
        self.spawned = asyncio.Event()
        self._hello: asyncio.Future[Hello | LoadFailed] | None = None
        self._accepted: asyncio.Future[StepDefinition | None] | None = None
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self._started_at = 0.0
        self._io_tasks: list[asyncio.Task[None]] = []
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        # Why the host killed the current process, so what it held fails with the reason.
        self._killed_because: str | None = None

    @property
    def name(self) -> str:
        return self.step.name if self.step else self.rel_file

    @property
    def forked(self) -> bool:
        """Started by forking the launcher rather than from scratch (it falls back to exec)."""
        return self._fork_server is not None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.returncode is None else None

    def describe(self) -> dict[str, Any]:
        conn = self._connection
        return {
            **self._usage.sample(self.pid),
            "step": self.name,
            "file": self.rel_file,
            "language": self.language,
            "pid": self.pid,
            "state": self.state,
            "restarts": self.restarts,
            "uptime_s": round(time.monotonic() - self._started_at, 3) if self.pid else 0,
            "in_flight": conn.in_flight if conn else 0,
            "last_error": self.last_error,
            "unhealthy": self.unhealthy,
        }

    # ------------------------------------------------------------------ first start

    async def load(self) -> Hello | LoadFailed:
        """Start the worker and wait for its Hello; the worker then waits for accept()/reject()."""
        loop = asyncio.get_running_loop()
        self._hello = loop.create_future()
        self._accepted = loop.create_future()
        try:
            await self._spawn()
        except (WorkerUnavailable, OSError) as exc:
            # no runtime to run the file (node or ruby missing, the Node SDK not built), or the
            # process could not be created: a problem of this step, reported like a load error
            self.state = "failed"
            return LoadFailed(errors.LOAD_ERROR, spawn_failure(self.rel_file, exc))
        assert self._proc is not None
        exited: asyncio.Future[Any] = asyncio.ensure_future(process_exit(self._proc))
        hello: asyncio.Future[Any] = self._hello
        try:
            done, _ = await asyncio.wait({hello, exited}, timeout=HELLO_TIMEOUT_S, return_when="FIRST_COMPLETED")
        finally:
            exited.cancel()
        if hello in done:
            result: Hello | LoadFailed = hello.result()
            return result
        await self._kill()
        if exited in done:
            # Died before saying anything: its last words on stderr are the best clue.
            tail = "\n".join(self._stderr_tail)
            return LoadFailed(
                errors.LOAD_ERROR,
                f"{self.rel_file}: the worker exited ({describe_exit(self._proc.returncode)}) before its hello"
                + (f"; its output ended with:\n{tail}" if tail else ""),
            )
        return LoadFailed(errors.LOAD_ERROR, f"{self.rel_file}: the worker sent no hello within {HELLO_TIMEOUT_S:g} s")

    def accept(self, step: StepDefinition) -> None:
        """The config is valid: welcome the worker and keep it running from now on."""
        self.step = step
        assert self._accepted is not None
        if not self._accepted.done():
            self._accepted.set_result(step)
        self._supervisor = asyncio.create_task(self._supervise(), name=f"supervise:{self.rel_file}")
        self.limits = WorkerLimits(
            ram_mb=self.ram_limit_mb, cpu=step.handler_limits.cpu or self.limits.cpu, pids=self.limits.pids
        )
        kernel_memory = False
        if self._sandbox is not None:
            self._sandbox.apply(self.worker_id, self.limits)
            kernel_memory = "memory" in self._sandbox.controllers
        if self.ram_limit_mb and not kernel_memory:
            self._memory_watch = asyncio.create_task(self._watch_memory(self.ram_limit_mb), name=f"ram:{self.name}")

    async def reject(self) -> None:
        """The config is invalid: stop the worker for good."""
        self._stopping = True
        self.state = "failed"
        if self._accepted is not None and not self._accepted.done():
            self._accepted.set_result(None)
        await self._kill()

    # ------------------------------------------------------------------ processes

    async def _spawn(self) -> None:
        identity = WorkerIdentity(
            worker_id=self.worker_id, secret=secrets.token_hex(16), socket_path=self._rpc.socket_path
        )
        spec = launch_spec(self.file, self.project, identity, self._base_env, self._command_prefix)
        self._rpc.expect(identity.secret, self._on_stream)
        self.state = "starting"
        self._killed_because = None
        try:
            self._proc = await self._start_process(spec)
        except OSError:
            self._rpc.forget(identity.secret)
            raise
        self._started_at = time.monotonic()
        self._identity_secret = identity.secret
        if self._sandbox is not None:
            self._sandbox.place(self.worker_id, self._proc.pid)
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._io_tasks = [
            asyncio.create_task(log_output(self._proc.stdout, self._log_sink, self._output_owner, "stdout")),
            asyncio.create_task(
                log_output(self._proc.stderr, self._log_sink, self._output_owner, "stderr", tail=self._stderr_tail)
            ),
        ]
        self._log(None, f"worker started (pid {self._proc.pid}, {self.language})", level="debug")
        self.spawned.set()
        if self.restarts:
            self._log(None, f"worker restarted (pid {self._proc.pid}, restart {self.restarts})")

    async def _start_process(self, spec: LaunchSpec) -> WorkerProcess:
        if self._fork_server is not None:
            try:
                return await self._fork_server.spawn(spec.env, spec.cwd)
            except ForkServerUnavailable as exc:
                self._log(None, f"{exc}; starting the worker with {spec.argv[0]}", level="debug")
        return await asyncio.create_subprocess_exec(
            *spec.argv,
            cwd=spec.cwd,
            env=spec.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Its own process group, so a kill takes the step's children with it.
            start_new_session=True,
        )

    def _output_owner(self) -> tuple[str, tuple[str, ...]]:
        return self.name, self.step.flows if self.step else ()

    async def _after_exit(self, proc: WorkerProcess) -> None:
        """Once the worker process has exited: nothing it started lives on, its output is logged.

        With a cgroup, every process left in it is killed, including children that left the
        worker's process group with setsid (they escape `killpg`, not the cgroup). Without
        one, only the worker's process group is killed: that covers every descendant that
        stayed in the group, also when the worker exited on its own; it does not cover one
        that started its own session or group (setsid, Node's `detached`, a daemon), which
        survives, and as its parent is gone the host can no longer find it. Should such a
        process hold the worker's stdout or stderr, its output stops being logged after
        PIPE_DRAIN_S, so the restart does not wait for it.
        """
        # The group outlives its leader while members remain, so its id cannot have been reused.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if self._sandbox is not None:
            survivors = await self._sandbox.kill_all(self.worker_id)
            if survivors:
                self._log(
                    errors.INTERNAL,
                    f"processes {sorted(survivors)} of the worker (pid {proc.pid}) survived SIGKILL",
                    level="error",
                )
        tasks = [t for t in self._io_tasks if not t.done()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=PIPE_DRAIN_S)
            for task in late:  # a process outside the reach of the kill holds the pipe
                task.cancel()
        await asyncio.gather(*self._io_tasks, return_exceptions=True)

    async def _kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await process_exit(proc)
        await self._after_exit(proc)

    async def _watch_memory(self, limit_mb: int) -> None:
        """Kill a worker whose process tree grows past its RAM limit, and say which step and why."""
        while True:
            await asyncio.sleep(MEMORY_CHECK_INTERVAL_S)
            pid = self.pid
            if pid is None:
                continue
            rss = tree_rss(pid)
            if rss is None:
                continue
            if rss > limit_mb * 2**20:
                message = (
                    f"step {self.name!r} exceeded its memory limit of {limit_mb} MB "
                    f"(RSS {rss / 2**20:.0f} MB); the worker was killed"
                )
                self.last_error = message
                self._killed_because = message
                self._log(errors.WORKER_CRASHED, message, level="error")
                conn = self._connection
                if conn is not None:
                    conn.fail_all(errors.WORKER_CRASHED, message)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)

    def _kill_if_unreachable(self, proc: WorkerProcess) -> None:
        if proc is self._proc and proc.returncode is None and not self._stopping and self._connection is None:
            self.kill_unusable("the worker's stream ended while its process was still running")

    def kill_unusable(self, reason: str) -> None:
        """A worker that hung or broke the protocol is killed; its supervisor restarts it."""
        self.last_error = reason
        self._log(errors.INTERNAL, f"{reason}; killing worker pid {self.pid}", level="error")
        proc = self._proc
        if proc is not None and proc.returncode is None:
            self._killed_because = self._killed_because or reason
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def _log(self, code: str | None, msg: str, level: str = "info") -> None:
        fields = {"code": code} if code else {}
        self._log_sink(LogRecord(level=level, msg=msg, step=self.name, time_ms=int(time.time() * 1000), fields=fields))

    # ------------------------------------------------------------------ the stream

    async def _on_stream(self, stream: WorkerStream) -> None:
        first = await stream.read()
        hello = self._hello
        if first is None:
            return
        kind = first.WhichOneof("kind")
        result: Hello | LoadFailed
        batches = False
        if kind == "load_failure":
            err = first.load_failure.error
            result = LoadFailed(err.code or errors.LOAD_ERROR, err.message, err.stack)
        elif kind == "hello":
            h = first.hello
            if h.protocol_version != PROTOCOL_VERSION:
                result = LoadFailed(
                    errors.LOAD_ERROR,
                    f"{self.rel_file}: worker speaks protocol {h.protocol_version}, host speaks {PROTOCOL_VERSION}",
                )
            else:
                batches = h.capabilities.get(BATCH_CAPABILITY) == "1"
                try:
                    config = json.loads(h.config_json)
                    result = Hello(
                        config,
                        h.language or self.language,
                        h.middleware_count,
                        h.sdk_name,
                        tuple(h.functions),
                        tuple(h.source_files),
                    )
                except ValueError as exc:
                    result = LoadFailed(errors.LOAD_ERROR, f"{self.rel_file}: config is not valid JSON: {exc}")
        else:
            result = LoadFailed(errors.LOAD_ERROR, f"{self.rel_file}: worker's first message was {kind}, not hello")
        if hello is not None and not hello.done():
            hello.set_result(result)
        if isinstance(result, LoadFailed):
            self.last_error = result.message  # a restart found the file broken: say so while unhealthy
            return
        if self._accepted is None:
            return
        step = await self._accepted
        if step is None:
            return
        await stream.write(
            pb.HostMessage(
                welcome=pb.Welcome(
                    protocol_version=PROTOCOL_VERSION,
                    step_name=step.name,
                    stream_names=self.stream_names,
                    max_message_bytes=MAX_MESSAGE_BYTES,
                    capabilities=HOST_CAPABILITIES,
                )
            )
        )
        conn = WorkerConnection(
            stream,
            step,
            ctx_handler=self._ctx_handler,
            log_sink=self._log_sink,
            on_unusable=self.kill_unusable,
            batches=batches,
        )
        self._connection = conn
        self._held = conn  # failed by _supervise once the process is gone, with the cause
        self.state = "ready"
        if self.unhealthy:
            self.unhealthy = False
            self._became_unhealthy.clear()
            self._log(None, "worker is up again; the step is healthy", level="info")
        self._ready.set()
        try:
            await conn.serve()
        finally:
            self._ready.clear()
            if self._connection is conn:
                self._connection = None
            proc = self._proc
            if not self._stopping and proc is not None and proc.returncode is None:
                # The stream ended (or broke the protocol). A worker on its way out gets a moment
                # to exit with its own code; one that lives on can no longer be reached, so it goes.
                asyncio.get_running_loop().call_later(STREAM_GONE_GRACE_S, self._kill_if_unreachable, proc)

    # ------------------------------------------------------------------ supervision

    async def _supervise(self) -> None:
        backoff = BACKOFF_FIRST_S
        while True:
            proc = self._proc
            assert proc is not None
            code = await process_exit(proc)
            await self._after_exit(proc)
            self._rpc.forget(self._identity_secret)
            cause = f"the worker of step {self.name!r} exited ({describe_exit(code)})"
            if self._killed_because is not None and code == -signal.SIGKILL:
                cause = f"the worker of step {self.name!r} was killed by the host: {self._killed_because}"
            if self._sandbox is not None and self._sandbox.memory_killed(self.worker_id):
                cause = (
                    f"step {self.name!r} exceeded its memory limit of {self.limits.ram_mb} MB; "
                    "the kernel killed the worker"
                )
                self.last_error = cause
                self._log(errors.WORKER_CRASHED, cause, level="error")
            held, self._held = self._held, None
            if held is not None:
                held.fail_all(errors.WORKER_CRASHED, cause)
            if self._stopping:
                self.state = "stopped"
                return
            self._ready.clear()
            self.last_error = self.last_error or f"exited ({describe_exit(code)})"
            if time.monotonic() - self._started_at > STABLE_AFTER_S:
                backoff = BACKOFF_FIRST_S
            now = time.monotonic()
            self._crashes.append(now)
            while self._crashes and now - self._crashes[0] > CRASH_WINDOW_S:
                self._crashes.popleft()
            if len(self._crashes) >= CRASH_LIMIT:
                delay = UNHEALTHY_RETRY_S
                if not self.unhealthy:
                    self._log(
                        errors.WORKER_CRASHED,
                        f"worker crashed {len(self._crashes)} times within {CRASH_WINDOW_S:g} s: the step is "
                        f"unhealthy (api answers 503, events wait); retrying every {delay:g} s. "
                        f"Last error: {self.last_error}",
                        level="error",
                    )
                self.unhealthy = True
                self._became_unhealthy.set()
                self.state = "unhealthy"
            else:
                delay = backoff
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                self.state = "restarting"
            self._log(
                errors.WORKER_CRASHED,
                f"worker exited ({describe_exit(code)}); restarting in {delay:.2f} s",
                level="error",
            )
            await asyncio.sleep(delay)
            if self._stopping:
                self.state = "stopped"
                return
            self.restarts += 1
            loop = asyncio.get_running_loop()
            self._hello = loop.create_future()
            self._accepted = loop.create_future()
            assert self.step is not None
            self._accepted.set_result(self.step)
            try:
                await self._spawn()
            except Exception as exc:  # e.g. node vanished from PATH: keep trying, say why
                self.last_error = str(exc)
                self._log(errors.WORKER_CRASHED, f"could not restart worker: {exc}", level="error")
                continue
            if not self.unhealthy:
                self.last_error = None

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        """Run one invocation, waiting for a (re)starting worker up to READY_WAIT_S."""
        if self._stopping:
            raise WorkerUnavailable(f"step {self.name!r} is stopping")
        if self.unhealthy:
            raise WorkerUnavailable(self.unhealthy_reason())
        if not self._ready.is_set():
            # Wait for the restart, unless the step turns unhealthy meanwhile: then say so at once.
            ready = asyncio.ensure_future(self._ready.wait())
            sick = asyncio.ensure_future(self._became_unhealthy.wait())
            try:
                await asyncio.wait({ready, sick}, timeout=READY_WAIT_S, return_when=asyncio.FIRST_COMPLETED)
            finally:
                ready.cancel()
                sick.cancel()
            if self.unhealthy:
                raise WorkerUnavailable(self.unhealthy_reason())
            if not self._ready.is_set():
                raise WorkerUnavailable(
                    f"the worker of step {self.name!r} is not ready after {READY_WAIT_S:g} s"
                    + (f" (last error: {self.last_error})" if self.last_error else "")
                )
        conn = self._connection
        if conn is None:
            raise InvocationFailed(errors.WORKER_CRASHED, f"the worker of step {self.name!r} is gone")
        return await conn.invoke(invocation)

    def unhealthy_reason(self) -> str:
        return (
            f"step {self.name!r} is unhealthy: its worker crashed {len(self._crashes)} times within "
            f"{CRASH_WINDOW_S:g} s (last error: {self.last_error})"
        )

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Drain gracefully, then kill whatever is left."""
        self._stopping = True
        if self._memory_watch is not None:
            self._memory_watch.cancel()
        conn = self._connection
        if conn is not None:
            await conn.drain(timeout_s)
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process_exit(proc), 1.0)
        await self._kill()
        if self._supervisor is not None:
            await asyncio.gather(self._supervisor, return_exceptions=True)
        self.state = "stopped"


def spawn_failure(rel_file: str, exc: WorkerUnavailable | OSError) -> str:
    """Why the worker of `rel_file` could not be started, naming the file once."""
    if isinstance(exc, WorkerUnavailable):
        return str(exc)  # already names the file and what to install or build
    return f"{rel_file}: the worker could not be started: {exc}"
