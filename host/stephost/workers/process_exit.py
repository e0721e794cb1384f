"""Seeing a worker process exit, and saying how it exited."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Protocol

# A worker's exit is seen through a pidfd; this often its exit code is looked at besides.
EXIT_POLL_S = 1.0


class WorkerProcess(Protocol):
    """What the supervisor reads of a worker process: an asyncio subprocess, or one the launcher forked."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    @property
    def stdout(self) -> asyncio.StreamReader | None: ...

    @property
    def stderr(self) -> asyncio.StreamReader | None: ...


def describe_exit(code: int | None) -> str:
    """For logs and errors: "exit code 3", "killed by SIGKILL"."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@contextlib.contextmanager
def exit_watch(pid: int) -> Iterator[asyncio.Future[None]]:
    """A future done once process `pid` has exited, seen through a pidfd (whoever its parent is).

    Done at once if there is no such process any more. Where no pidfd can be opened (an old
    kernel) it never completes: callers poll what they can.
    """
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[None] = loop.create_future()
    pidfd: int | None = None
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        exited.set_result(None)
    except OSError:
        pass
    if pidfd is not None:
        loop.add_reader(pidfd, lambda: None if exited.done() else exited.set_result(None))
    try:
        yield exited
    finally:
        if pidfd is not None:
            loop.remove_reader(pidfd)
            os.close(pidfd)


async def process_exit(proc: WorkerProcess) -> int:
    """The exit code of `proc` as soon as it has exited.

    Not `proc.wait()`: on Python 3.11, called before the exit, that returns only once the
    process's stdout and stderr are closed as well, and a child that left the worker's
    process group may hold them open for as long as it lives.
    """
    if proc.returncode is None:
        with exit_watch(proc.pid) as exited:
            while proc.returncode is None:
                if exited.done():
                    # Whoever reaps it (the child watcher, or the launcher for a forked worker) sets its code soon.
                    await asyncio.sleep(0.005)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(exited), EXIT_POLL_S)
    return proc.returncode
