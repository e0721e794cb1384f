"""Hypercorn's keep-alive idle timeout as one loop timer per connection instead of a task per request.

Hypercorn (0.17, 0.18) restarts a connection's idle timeout at the end of every request
and stops it at the start of the next: each restart cancels and awaits the previous
task and creates a new one that waits on an Event with `wait_for` (one more task and a
timer). Under keep-alive load that was ~5 % of the host's CPU per GET (bench/breakdown.py),
more than the host's own routing. `TimerIdle` keeps the same contract (`restart`, `stop`)
with a deadline and at most one loop timer per connection: when the deadline passes on an
idle connection, it is closed exactly as Hypercorn's own timeout closes it.

Installed by `install()` into hypercorn.asyncio.run, where Hypercorn builds its
TCPServer, only when that class is the one this was written against; otherwise
Hypercorn runs as it comes, and `install()` says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import hypercorn.asyncio.run as hypercorn_run
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import AsyncioSingleTask
from hypercorn.typing import Event

# What LeanTCPServer relies on in Hypercorn's TCPServer: the methods that use `idle_task`
# through restart/stop, and the coroutine that closes a connection.
_METHODS = ("_initiate_server_close", "_idle_timeout", "protocol_send", "run", "_close")


class TimerIdle:
    """A connection's idle timeout: `restart` arms it, `stop` disarms it, firing closes the connection.

    Re-arming is a deadline moved, not a timer replaced: a timer per request, cancelled by the
    next, would push one handle per request into the loop's heap and leave thousands of
    cancelled ones there under keep-alive load. One timer per connection is pending at most;
    when it fires early (the deadline moved on), it waits for the new one.

    Like Hypercorn's own timeout, it also closes the connection as soon as the server stops
    (`terminated`), if the connection is idle then, or else when its request is done: one task
    per connection waits for that, made when the connection first goes idle, ended by `dispose`.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timeout_s: float,
        close: Callable[[], Awaitable[None]],
        terminated: Event,
    ) -> None:
        self._loop = loop
        self._timeout_s = timeout_s
        self._close = close
        self._terminated = terminated
        self._deadline: float | None = None  # None: a request is being served
        self._timer: asyncio.TimerHandle | None = None
        self._on_termination: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None

    async def restart(self, task_group: Any, action: Callable[[], Awaitable[None]]) -> None:
        # `action` is Hypercorn's own timeout coroutine; the timer does its job instead.
        if self._terminated.is_set():
            self._close_now()
            return
        self._deadline = self._loop.time() + self._timeout_s
        if self._timer is None:
            self._timer = self._loop.call_at(self._deadline, self._check)
        if self._on_termination is None:
            self._on_termination = self._loop.create_task(self._close_on_termination())

    async def stop(self) -> None:
        self._deadline = None

    def dispose(self) -> None:
        """The connection is closed: nothing is left to time out."""
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._on_termination is not None:
            self._on_termination.cancel()
            self._on_termination = None

    def _check(self) -> None:
        self._timer = None
        if self._deadline is None:
            return  # busy again; the next restart arms a timer
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._check)
            return
        self._close_now()

    async def _close_on_termination(self) -> None:
        await self._terminated.wait()
        if self._deadline is not None:  # idle now; a busy one closes when it next goes idle
            self._close_now()

    def _close_now(self) -> None:
        self._deadline = None
        if self._closing is None:
            self._closing = self._loop.create_task(self._run_close())

    async def _run_close(self) -> None:
        await asyncio.shield(self._close())


class LeanTCPServer(TCPServer):
    """Hypercorn's TCPServer with its idle timeout on a TimerIdle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle = TimerIdle(
            self.loop, self.config.keep_alive_timeout, self._initiate_server_close, self.context.terminated
        )
        self.idle_task = self._idle  # type: ignore[assignment]

    async def _close(self) -> None:
        try:
            await super()._close()
        finally:
            self._idle.dispose()


def compatible() -> bool:
    """Whether Hypercorn's TCPServer is the one LeanTCPServer was written against."""
    made_in_init = TCPServer.__init__.__code__.co_names
    return (
        all(callable(getattr(TCPServer, name, None)) for name in _METHODS)
        and {"idle_task", "AsyncioSingleTask", "context", "loop", "config"} <= set(made_in_init)
        and callable(getattr(AsyncioSingleTask, "restart", None))
        and callable(getattr(AsyncioSingleTask, "stop", None))
    )


def install() -> bool:
    """Make Hypercorn's asyncio server build LeanTCPServer; False (nothing changed) if it is not compatible."""
    if getattr(hypercorn_run, "TCPServer", None) is LeanTCPServer:
        return True
    if getattr(hypercorn_run, "TCPServer", None) is not TCPServer or not compatible():
        return False
    hypercorn_run.TCPServer = LeanTCPServer  # type: ignore[attr-defined]
    return True
