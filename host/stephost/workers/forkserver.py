"""Python workers forked from one launcher process instead of each starting an interpreter.

The launcher (`python -m stephost_sdk.forkserver`, protocol in its docstring) imports
asyncio, grpc and protobuf once; every Python worker is then a fork of it, which costs a
few ms of CPU instead of ~100. The child is made into what an exec'd worker would be: its
own session, the environment and working directory of its launch spec, stdout and stderr
on pipes the host reads. The host cannot wait for a process that is not its child, so the
launcher reaps its children and reports each exit code; `ForkedProcess` carries it.

Used only where a fork gives the same worker as an exec: not under an isolation prefix
(each worker gets its own namespaces, user and read-only root there), and not when the
environment's PYTHON* variables would have started a different interpreter. Anything that
goes wrong with the launcher makes `spawn` raise ForkServerUnavailable, and the caller
starts the worker the usual way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from stephost.logs import host_record
from stephost.types import LogSink
from stephost.workers.process_exit import exit_watch

FD_VARIABLE: Final = "STEPHOST_FORKSERVER_FD"
READY_TIMEOUT_S: Final = 20.0
SPAWN_TIMEOUT_S: Final = 5.0
STOP_TIMEOUT_S: Final = 1.0
# The exit code a worker reads as once its launcher is gone: init reaps it then, and nobody reports.
UNKNOWN_EXIT: Final = 255
MAX_MESSAGE: Final = 1 << 20


def forking_wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Off with STEPHOST_PYTHON_FORKSERVER=0 in the host's environment: each worker starts its own interpreter."""
    return environ.get("STEPHOST_PYTHON_FORKSERVER", "1").strip().lower() not in ("0", "false", "no", "off")


class ForkServerUnavailable(Exception):
    """The launcher cannot fork this worker; start it with an exec instead."""


class ForkedProcess:
    """A worker forked by the launcher, with the attributes the supervisor reads of a subprocess."""

    def __init__(self, pid: int, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None


def interpreter_variables(env: Mapping[str, str]) -> dict[str, str]:
    """The variables that shape a Python interpreter as it starts: a fork cannot apply them later."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k != "PYTHONUNBUFFERED"}


class ForkServer:
    """One launcher per host; `spawn` forks a worker from it."""

    def __init__(self, env: Mapping[str, str], cwd: Path, log: LogSink) -> None:
        self._env = dict(env)
        self._cwd = cwd
        self._log = log
        self._proc: asyncio.subprocess.Process | None = None
        self._control: socket.socket | None = None
        self._ready: asyncio.Future[None] | None = None
        self._pending: dict[int, asyncio.Future[int]] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._sequence = 0
        self._lost: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def start(self) -> None:
        """Start the launcher; it is ready once it has said so (spawn waits for that)."""
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setblocking(False)
        env = {**self._env, "PYTHONUNBUFFERED": "1", FD_VARIABLE: str(theirs.fileno())}
        self._ready = loop.create_future()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "stephost_sdk.forkserver",
                cwd=self._cwd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        except OSError as exc:
            ours.close()
            self._give_up(f"it could not be started: {exc}")
            return
        finally:
            theirs.close()
        self._control = ours
        loop.add_reader(ours.fileno(), self._on_message)
        assert self._proc.stderr is not None
        self._keep(asyncio.create_task(self._relay_stderr(self._proc.stderr), name="forkserver:stderr"))

    async def spawn(self, env: Mapping[str, str], cwd: Path) -> ForkedProcess:
        """Fork a worker with exactly `env` and `cwd`; raises ForkServerUnavailable when it cannot."""
        if interpreter_variables(env) != interpreter_variables(self._env):
            raise ForkServerUnavailable("the worker's PYTHON* variables differ from the launcher's")
        if self._ready is None:
            raise ForkServerUnavailable("the launcher was not started")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._ready), READY_TIMEOUT_S)
        if not self._ready.done():
            self._give_up(f"it did not say it was ready within {READY_TIMEOUT_S:g} s")
        if self._lost is not None or self._control is None:
            raise ForkServerUnavailable(self._lost or "the launcher is gone")
        loop = asyncio.get_running_loop()
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        self._sequence += 1
        number = self._sequence
        reply: asyncio.Future[int] = loop.create_future()
        self._pending[number] = reply
        message = json.dumps({"spawn": number, "env": dict(env), "cwd": str(cwd)}).encode()
        try:
            socket.send_fds(self._control, [message], [out_write, err_write])
            pid = await asyncio.wait_for(reply, SPAWN_TIMEOUT_S)
        except (OSError, TimeoutError, ForkServerUnavailable) as exc:
            os.close(out_read)
            os.close(err_read)
            raise ForkServerUnavailable(f"the launcher did not fork the worker: {exc}") from exc
        finally:
            self._pending.pop(number, None)
            os.close(out_write)
            os.close(err_write)
        process = ForkedProcess(pid, await _reader(out_read), await _reader(err_read))
        self._children[pid] = process
        if pid in self._early_exits:  # its exit overtook the reply to the spawn
            process.returncode = self._early_exits.pop(pid)
            self._children.pop(pid)
        return process

    async def close(self) -> None:
        """Stop the launcher (after the workers: they are not killed with it)."""
        self._drop_control()  # end of stream: the launcher exits
        proc = self._proc
        if proc is not None and proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                await proc.wait()
        self._lost = self._lost or "the host is stopping"
        self._orphan_children()

    # ------------------------------------------------------------------ messages

    def _on_message(self) -> None:
        assert self._control is not None
        try:
            data = self._control.recv(MAX_MESSAGE)
        except BlockingIOError:
            return
        except OSError as exc:
            data = b""
            self._log(host_record("debug", f"reading from the Python worker launcher failed: {exc}"))
        if not data:
            self._lost_launcher()
            return
        try:
            message: dict[str, Any] = json.loads(data)
        except ValueError:
            self._log(host_record("error", f"the Python worker launcher sent what is not JSON: {data[:200]!r}"))
            return
        if "ready" in message:
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
        elif "spawned" in message:
            reply = self._pending.get(message["spawned"])
            if reply is not None and not reply.done():
                if "pid" in message:
                    reply.set_result(int(message["pid"]))
                else:
                    reply.set_exception(ForkServerUnavailable(str(message.get("error"))))
        elif "exited" in message:
            pid, code = int(message["exited"]), int(message["code"])
            child = self._children.pop(pid, None)
            if child is not None:
                child.returncode = code
            else:
                self._early_exits[pid] = code

    def _drop_control(self) -> None:
        control, self._control = self._control, None
        if control is not None:
            asyncio.get_running_loop().remove_reader(control.fileno())
            control.close()

    def _lost_launcher(self) -> None:
        self._drop_control()
        code = self._proc.returncode if self._proc is not None else None
        self._give_up(f"it exited (code {code})" if code is not None else "it went away (its socket closed)")
        self._orphan_children()

    def _give_up(self, why: str) -> None:
        if self._lost is not None:
            return
        self._lost = f"the Python worker launcher is unavailable: {why}"
        self._log(
            host_record(
                "warn",
                f"{self._lost}; Python workers start on their own from now on"
                + (
                    f" ({len(self._children)} running keep going; their exit codes will read {UNKNOWN_EXIT})"
                    if self._children
                    else ""
                ),
            )
        )
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(ForkServerUnavailable(self._lost))

    def _orphan_children(self) -> None:
        """Workers whose launcher is gone: init reaps them, so their exit is seen but not its code."""
        children, self._children = self._children, {}
        for child in children.values():
            self._keep(asyncio.create_task(_exit_of_orphan(child), name=f"orphan:{child.pid}"))

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _relay_stderr(self, stderr: asyncio.StreamReader) -> None:
        async for line in stderr:
            text = line.decode(errors="replace").rstrip()
            if text:
                self._log(host_record("warn", f"Python worker launcher: {text}"))


async def _reader(fd: int) -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0))
    return reader


async def _exit_of_orphan(child: ForkedProcess) -> None:
    """Set an orphaned worker's exit code to UNKNOWN_EXIT once it is gone."""
    if child.returncode is not None:
        return  # its exit was reported; the pid may be someone else's by now
    with exit_watch(child.pid) as gone:
        await gone
    if child.returncode is None:
        child.returncode = UNKNOWN_EXIT
