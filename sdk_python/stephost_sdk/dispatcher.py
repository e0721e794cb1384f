"""Runs the invocations the host sends, concurrently, one result each.

Each Invoke becomes a task in the session's task group with its own Context and
Bridge. Cancel cancels that task and answers CANCELLED; Drain refuses new work
and waits for the in-flight tasks, cancelling those still running at the drain
deadline so that Drained is sent before the host's kill.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from .bridge import Bridge
from .context import Context, CtxChannel
from .errors import CANCELLED, HANDLER_MISSING
from .invoke import run_invocation
from .messages import ErrorInfo, Failed, Invocation, Outcome

DRAIN_MARGIN_S: Final = 0.25


class ResultSink(CtxChannel, Protocol):
    def send_result(self, invocation_id: str, outcome: Outcome) -> None: ...


@dataclass
class _Running:
    task: asyncio.Task[None]
    context: Context
    # Set when we cancel the task ourselves: the CANCELLED result's message.
    cancel_reason: str | None = None


class Dispatcher:
    """Starts, cancels and drains invocations of one step."""

    def __init__(
        self,
        handler: Callable[..., Any] | None,
        middleware: Sequence[Callable[..., Any]],
        sink: ResultSink,
        tasks: asyncio.TaskGroup,
        executor: concurrent.futures.Executor | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._handler = handler
        self._middleware = tuple(middleware)
        self._sink = sink
        self._tasks = tasks
        self._executor = executor
        self._clock = clock
        self._stream_names: tuple[str, ...] = ()
        self._running: dict[str, _Running] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._draining = False

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def set_stream_names(self, names: Sequence[str]) -> None:
        self._stream_names = tuple(names)

    def invoke(self, invocation: Invocation) -> None:
        """Start `invocation`; its result is sent when it ends."""
        invocation_id = invocation.invocation_id
        if self._draining:
            self._refuse(invocation_id, ErrorInfo(CANCELLED, "the worker is draining and accepts no new work"))
            return
        if self._handler is None:
            self._refuse(invocation_id, ErrorInfo(HANDLER_MISSING, "this step has no handler (noop step)"))
            return
        if invocation_id in self._running:
            # A duplicate id would make two results for one Invoke ambiguous.
            return
        loop = asyncio.get_running_loop()
        bridge = Bridge(loop, self._executor)
        context = Context(invocation, self._sink, bridge, self._stream_names, self._clock)
        task = self._tasks.create_task(self._run(self._handler, invocation, context, bridge))
        self._running[invocation_id] = _Running(task, context)
        self._idle.clear()

    def cancel(self, invocation_id: str, reason: str) -> None:
        """Cancel one invocation; unknown ids are ignored (it may have just ended)."""
        running = self._running.get(invocation_id)
        if running is None or running.cancel_reason is not None:
            return
        running.cancel_reason = reason or "cancelled by the host"
        running.task.cancel()

    def cancel_all(self, reason: str) -> None:
        for invocation_id in list(self._running):
            self.cancel(invocation_id, reason)

    async def drain(self, deadline_unix_ms: int) -> None:
        """Accept no new work and return once nothing is in flight.

        Invocations still running at `deadline_unix_ms` (0 = none) are cancelled.
        """
        self._draining = True
        timeout = None
        if deadline_unix_ms > 0:
            # Stop a little early so that CANCELLED results and Drained reach
            # the host before it kills the process at the deadline.
            timeout = max(0.0, deadline_unix_ms / 1000 - self._clock() - DRAIN_MARGIN_S)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            self.cancel_all("the drain deadline passed")
            await self._idle.wait()

    def _refuse(self, invocation_id: str, error: ErrorInfo) -> None:
        self._sink.send_result(invocation_id, Failed(error))

    async def _run(self, handler: Callable[..., Any], invocation: Invocation, context: Context, bridge: Bridge) -> None:
        invocation_id = invocation.invocation_id
        try:
            outcome = await run_invocation(handler, self._middleware, invocation, context, bridge)
            await context.settle()
        except asyncio.CancelledError:
            running = self._running.get(invocation_id)
            if running is None or running.cancel_reason is None:
                raise  # the session is shutting down: not ours to swallow
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            outcome = Failed(ErrorInfo(CANCELLED, running.cancel_reason))
        finally:
            context.close()
            self._running.pop(invocation_id, None)
            if not self._running:
                self._idle.set()
        self._sink.send_result(invocation_id, outcome)
