"""The Python worker launcher: `python -m stephost_sdk.forkserver`, started by the host.

A Python worker spends ~80-110 ms of CPU before it can say hello, nearly all of it
importing asyncio, grpc and protobuf. A host starting twelve of them on two cores
pays that twelve times. The launcher imports them once and forks a worker per
request; the child becomes exactly what `python -m stephost_sdk.worker` would be
(its own session, the environment and working directory the host chose, stdout and
stderr on the host's pipes) and runs the same `worker.main()`.

grpc is imported here but never used: a channel opened before the fork would be
shared with every child, so the first one is opened by each worker after it.

Protocol, on the SOCK_SEQPACKET socket whose fd is in STEPHOST_FORKSERVER_FD (one
JSON object per message, UTF-8):

  launcher -> host  {"ready": pid}                      once the imports are done
  host -> launcher  {"spawn": n, "env": {...}, "cwd": "..."}
                    with two fds attached (SCM_RIGHTS): the child's stdout and stderr
  launcher -> host  {"spawned": n, "pid": pid} or {"spawned": n, "error": "why"}
  launcher -> host  {"exited": pid, "code": code}      code as in subprocess: -N for signal N

The launcher exits when the host closes its end. It runs in its own session, so a
Ctrl-C meant for the host does not reach it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any, Final

from . import worker

FD_VARIABLE: Final = "STEPHOST_FORKSERVER_FD"
# Large enough for any environment a host passes; one message is one datagram.
MAX_MESSAGE: Final = 1 << 20
FDS_PER_SPAWN: Final = 2

Child = Callable[[], int]


def serve(control: socket.socket) -> Child | None:
    """Answer spawn requests until the host goes; in a forked child, return what it runs."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    # A handler (not SIG_DFL) so SIGCHLD writes to the wakeup fd; reaping happens in the loop.
    signal.signal(signal.SIGCHLD, lambda *_: None)
    _send(control, {"ready": os.getpid()})
    while True:
        readable, _, _ = select.select([control.fileno(), wake_read], [], [])
        if wake_read in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_read, 512)
            _report_exits(control)
        if control.fileno() not in readable:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE, FDS_PER_SPAWN)
        except ConnectionError:
            return None
        if not data:
            return None  # the host closed its end
        child = _spawn(control, data, fds, (wake_read, wake_write))
        if child is not None:
            return child


def _spawn(control: socket.socket, data: bytes, fds: list[int], own_fds: tuple[int, int]) -> Child | None:
    """Fork one worker for a request; the parent replies, the child returns its entry point."""
    number: Any = None
    try:
        request = json.loads(data)
        number = request.get("spawn")
        env, cwd = request["env"], request["cwd"]
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise ValueError("env must map names to strings")
        if len(fds) != FDS_PER_SPAWN:
            raise ValueError(f"expected {FDS_PER_SPAWN} fds (stdout, stderr), got {len(fds)}")
        settled_read, settled_write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(settled_read)
            os.close(settled_write)
            raise
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        for fd in fds:
            os.close(fd)
        _send(control, {"spawned": number, "error": f"{type(exc).__name__}: {exc}"})
        return None
    if pid == 0:
        os.close(settled_read)
        # Before the host hears of this pid: it kills a worker by its process group.
        os.setsid()
        os.close(settled_write)
        return lambda: _become_worker(env, str(cwd), fds, (control.fileno(), *own_fds))
    os.close(settled_write)
    os.read(settled_read, 1)  # end of file once the child has its session (or died trying)
    os.close(settled_read)
    for fd in fds:
        os.close(fd)
    _send(control, {"spawned": number, "pid": pid})
    return None


def _become_worker(env: dict[str, str], cwd: str, fds: list[int], launcher_fds: tuple[int, ...]) -> int:
    """In the forked child: undo the launcher's set-up, then run as `python -m stephost_sdk.worker` would."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in launcher_fds:
        os.close(fd)
    stdin = os.open(os.devnull, os.O_RDONLY)
    for source, target in ((stdin, 0), (fds[0], 1), (fds[1], 2)):
        os.dup2(source, target)
        os.close(source)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [worker.__file__]
    return worker.main()


def _report_exits(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(control, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _send(control: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the host is gone: the next read says so
        control.send(json.dumps(message).encode())


def main() -> int:
    fd = os.environ.pop(FD_VARIABLE, None)
    if fd is None:
        print(f"stephost launcher: {FD_VARIABLE} is not set (the launcher is started by the host)", file=sys.stderr)
        return worker.EXIT_USAGE
    control = socket.socket(fileno=int(fd))
    child = serve(control)
    if child is None:
        return 0
    # Unwound out of the launcher's loop: the worker exits like an interpreter that ran it.
    code = child()
    worker._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
