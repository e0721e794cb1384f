"""Where user code that is not async meets the worker's event loop.

Plain (non-async) handlers and middleware run in a thread so that a blocking call
in one step never stalls Pings, CtxReplies or other invocations. The ctx API they
use must then work from that thread: there a ctx method blocks and returns the
value, while on the loop it returns an awaitable. `Bridge.run` makes that choice
by looking at the calling thread, so one Context object serves both kinds of code.

A thread cannot be interrupted. The bridge keeps track of the threads an
invocation started, so that a cancelled invocation is answered only once they
have ended (`threads_done`): the host then sees a handler that ignores its Cancel
as still running, and kills the worker after its grace period rather than
leaving the thread to run forever.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import CANCELLED, StepError

T = TypeVar("T")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Bridge:
    """One invocation's link from user code, wherever it runs, to the loop.

    Closing the bridge (on Cancel) releases every thread blocked in `run` with a
    CANCELLED StepError and refuses further calls and user functions, so a
    cancelled sync handler unwinds at its next ctx call instead of acting for an
    invocation that is over.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, executor: concurrent.futures.Executor | None = None) -> None:
        self._loop = loop
        self._executor = executor
        self._closed = False
        self._lock = threading.Lock()
        self._waits: set[concurrent.futures.Future[Any]] = set()
        # User functions running in the executor's threads; touched on the loop only.
        self._threads: set[asyncio.Future[Any]] = set()
        self._released = asyncio.Event()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def on_loop(self) -> bool:
        """True when called from a coroutine running on the worker's loop."""
        return _running_loop() is self._loop

    def run(self, start: Callable[[], Awaitable[T]]) -> Any:
        """Start `start()` on the loop and hand its result to the caller.

        On the loop: returns the awaitable `start()` gave. In a plain thread:
        blocks and returns the result (or raises). In a thread that runs its own
        event loop: returns an awaitable usable on that loop.
        """
        self._check_open()
        if self.on_loop():
            return start()

        async def on_loop() -> T:
            return await start()

        future = asyncio.run_coroutine_threadsafe(on_loop(), self._loop)
        with self._lock:
            self._waits.add(future)
        future.add_done_callback(self._forget)
        if _running_loop() is not None:
            return asyncio.wrap_future(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise StepError(CANCELLED, "the invocation was cancelled") from None

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run a fire-and-forget `callback` on the loop, from any thread."""
        if self.on_loop():
            callback()
            return
        # RuntimeError: the loop is closed, the worker is exiting and the record
        # has nowhere to go.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback)

    def close(self) -> None:
        """Refuse new calls and cancel the ones threads are blocked on."""
        with self._lock:
            self._closed = True
            waits = list(self._waits)
        for future in waits:
            future.cancel()

    async def call_user(self, function: Callable[..., Any], *args: Any) -> Any:
        """Call a user handler or middleware and return its result.

        `async def` functions run on the loop; anything else runs in a thread of
        the executor (the loop's default when None). A plain function returning
        an awaitable (a decorated coroutine function, a partial) has that
        awaitable awaited on the loop. Raises a CANCELLED StepError, without
        calling `function`, once the bridge is closed.
        """
        self._check_open()
        if inspect.iscoroutinefunction(function):
            return await function(*args)
        # As asyncio.to_thread does: the thread sees the caller's contextvars.
        call = functools.partial(contextvars.copy_context().run, function, *args)
        thread = self._loop.run_in_executor(self._executor, call)
        self._threads.add(thread)
        thread.add_done_callback(self._threads.discard)
        # Shielded: cancelling the caller must not make the thread look finished
        # (asyncio would mark the future cancelled while the thread runs on).
        result = await asyncio.shield(thread)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def threads_done(self) -> None:
        """Close the bridge, then return once every thread it started has ended.

        Returns early when `release()` is called. Meanwhile the threads' ctx
        calls fail with CANCELLED, so a handler that uses ctx ends quickly; one
        that never returns keeps this waiting until the worker is killed.
        """
        self.close()
        while self._threads and not self._released.is_set():
            released = asyncio.ensure_future(self._released.wait())
            try:
                await asyncio.wait({*self._threads, released}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                released.cancel()

    def release(self) -> None:
        """Stop `threads_done` waiting: the worker is exiting, and its threads end with it."""
        self._released.set()

    def _check_open(self) -> None:
        if self._closed:
            raise StepError(CANCELLED, "the invocation was cancelled")

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._waits.discard(future)
