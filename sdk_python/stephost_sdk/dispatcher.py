"""Runs the invocations the host sends, concurrently, one result each.

Each Invoke becomes a task in the session's task group with its own Context and
Bridge (for a stream file the task runs canAccess instead of a handler). Cancel
cancels that task and answers CANCELLED once the handler has stopped: at once
for a coroutine, when its thread ends for a plain function (threads cannot be
interrupted; the host kills a worker whose handler ignores Cancel). Drain
refuses new work and waits for the in-flight tasks, cancelling those still
running at the drain deadline, without waiting for their threads, so that
Drained is sent before the host's kill.
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
from .errors import CANCELLED, HANDLER_MISSING, INTERNAL
from .invoke import run_can_access, run_invocation
from .messages import ErrorInfo, Failed, Invocation, Outcome, Trigger

DRAIN_MARGIN_S: Final = 0.25


class ResultSink(CtxChannel, Protocol):
    def send_result(self, invocation_id: str, outcome: Outcome) -> None: ...


@dataclass
class _Running:
    """One invocation in flight."""

    task: asyncio.Task[None]
    context: Context
    bridge: Bridge
    # Set when we cancel the task ourselves: the CANCELLED result's message.
    cancel_reason: str | None = None
    # False until the task's first step: a task cancelled before then never runs a line of
    # _run (not even its except), so a Cancel that comes right behind its Invoke (one
    # HostBatch) is left for _run to find when it starts.
    started: bool = False


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
        *,
        is_stream: bool = False,
        can_access: Callable[..., Any] | None = None,
    ) -> None:
        self._handler = handler
        self._is_stream = is_stream
        self._can_access = can_access
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
        problem = self._preflight(invocation.trigger)
        if problem is not None:
            self._refuse(invocation_id, problem)
            return
        if invocation_id in self._running:
            # A duplicate id would make two results for one Invoke ambiguous.
            return
        loop = asyncio.get_running_loop()
        bridge = Bridge(loop, self._executor)
        context = Context(invocation, self._sink, bridge, self._stream_names, self._clock)
        task = self._tasks.create_task(self._run(invocation, context, bridge))
        self._running[invocation_id] = _Running(task, context, bridge)
        self._idle.clear()

    def cancel(self, invocation_id: str, reason: str) -> None:
        """Cancel one invocation; unknown ids are ignored (it may have just ended).

        Its CANCELLED result is sent once the handler has stopped: a plain
        handler's thread cannot be interrupted, so its result waits for the
        thread to end, and its ctx calls fail with CANCELLED meanwhile.
        """
        running = self._running.get(invocation_id)
        if running is None or running.cancel_reason is not None:
            return
        running.cancel_reason = reason or "cancelled by the host"
        # Closed first: a ctx call the handler makes while it unwinds (a `finally`, an
        # `except CancelledError`) fails here with CANCELLED and is never sent (W-CTX-3).
        running.bridge.close()
        if running.started:
            running.task.cancel()

    def cancel_all(self, reason: str) -> None:
        """Cancel every invocation without waiting for threads: the worker is about to exit."""
        for invocation_id, running in list(self._running.items()):
            running.bridge.release()
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

    def _preflight(self, trigger: Trigger) -> ErrorInfo | None:
        """Why this worker cannot run `trigger` at all; None when it can.

        These are not the user's errors, so they carry their own codes rather
        than HANDLER_ERROR.
        """
        if trigger is Trigger.CAN_ACCESS:
            if not self._is_stream:
                return ErrorInfo(
                    INTERNAL, "this worker runs a step, not a stream file; only stream files answer CAN_ACCESS"
                )
            return None
        if trigger is Trigger.AUTHENTICATE:
            return ErrorInfo(
                INTERNAL,
                "only the project's stream auth file (motia.config.ts/js, run by a Node worker) answers AUTHENTICATE",
            )
        if self._handler is None:
            what = "this stream file has no handler" if self._is_stream else "this step has no handler (noop step)"
            return ErrorInfo(HANDLER_MISSING, what)
        return None

    def _refuse(self, invocation_id: str, error: ErrorInfo) -> None:
        self._sink.send_result(invocation_id, Failed(error))

    async def _call(self, invocation: Invocation, context: Context, bridge: Bridge) -> Outcome:
        if invocation.trigger is Trigger.CAN_ACCESS:
            return await run_can_access(self._can_access, invocation, bridge)
        # _preflight made sure there is a handler for every other trigger.
        assert self._handler is not None
        return await run_invocation(self._handler, self._middleware, invocation, context, bridge)

    async def _run(self, invocation: Invocation, context: Context, bridge: Bridge) -> None:
        invocation_id = invocation.invocation_id
        try:
            running = self._running.get(invocation_id)
            if running is not None:
                running.started = True
                if running.cancel_reason is not None:
                    # Cancelled before it started: the handler never runs.
                    raise asyncio.CancelledError
            outcome = await self._call(invocation, context, bridge)
            await context.settle()
        except asyncio.CancelledError:
            running = self._running.get(invocation_id)
            if running is None or running.cancel_reason is None:
                raise  # the session is shutting down: not ours to swallow
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            await bridge.threads_done()
            outcome = Failed(ErrorInfo(CANCELLED, running.cancel_reason))
        finally:
            context.close()
            self._running.pop(invocation_id, None)
            if not self._running:
                self._idle.set()
        self._sink.send_result(invocation_id, outcome)
