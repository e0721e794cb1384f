"""One worker session: Hello sent, events served until Drain or a lost stream.

The session's task group owns every task: the writer, the reader, the drain and
each invocation. The session ends when the reader sees the stream end or when a
finished drain has waited long enough for the host to close it; whatever is still
running is then cancelled, in that order, before the task group exits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final

import grpc.aio

from .connection import Connection
from .dispatcher import Dispatcher
from .loader import LoadedStep
from .messages import Cancel, Drain, Invocation, Welcome
from .wire import PROTOCOL_VERSION, drained

EXIT_DRAINED: Final = 0
EXIT_CONNECTION_LOST: Final = 3
# After Drained and our half-close the host ends the stream; if it does not,
# stop waiting after this long and exit anyway.
DRAIN_CLOSE_GRACE_S: Final = 5.0


class Session:
    def __init__(
        self,
        connection: Connection,
        step: LoadedStep,
        middleware: Sequence[Callable[..., Any]],
        executor: concurrent.futures.Executor,
    ) -> None:
        self._connection = connection
        self._step = step
        self._middleware = middleware
        self._executor = executor
        self._stopped = asyncio.Event()
        self._drained = False
        self._drain_task: asyncio.Task[None] | None = None

    async def run(self) -> int:
        """Serve until the session ends; return the process exit code."""
        async with asyncio.TaskGroup() as tasks:
            dispatcher = Dispatcher(
                self._step.handler,
                self._middleware,
                self._connection,
                tasks,
                self._executor,
                is_stream=self._step.is_stream,
                can_access=self._step.can_access,
            )
            writer = tasks.create_task(self._connection.write_loop(), name="stephost-writer")
            reader = tasks.create_task(self._read(dispatcher, tasks), name="stephost-reader")
            await self._stopped.wait()

            reader.cancel()
            if self._drain_task is not None:
                self._drain_task.cancel()
            if not self._drained:
                dispatcher.cancel_all("the connection to the host was lost")
            self._connection.close_writing()
            # The writer ends at the half-close, or at once when the stream is
            # dead; cancelling it is only needed if the host stopped reading.
            try:
                await asyncio.wait_for(asyncio.shield(writer), DRAIN_CLOSE_GRACE_S)
            except TimeoutError:
                writer.cancel()
        return EXIT_DRAINED if self._drained else EXIT_CONNECTION_LOST

    async def _read(self, dispatcher: Dispatcher, tasks: asyncio.TaskGroup) -> None:
        try:
            async for event in self._connection.events():
                if isinstance(event, Invocation):
                    dispatcher.invoke(event)
                elif isinstance(event, Cancel):
                    dispatcher.cancel(event.invocation_id, event.reason)
                elif isinstance(event, Welcome):
                    self._welcome(event, dispatcher)
                elif isinstance(event, Drain) and self._drain_task is None:
                    self._drain_task = tasks.create_task(self._drain(dispatcher, event), name="stephost-drain")
            if not self._drained:
                _say("the host ended the stream")
        except grpc.aio.AioRpcError as exc:
            if not self._drained:
                _say(f"the host closed the stream: {exc.code().name}: {exc.details()}")
        finally:
            self._stopped.set()

    def _welcome(self, welcome: Welcome, dispatcher: Dispatcher) -> None:
        if welcome.protocol_version != PROTOCOL_VERSION:
            _say(
                f"the host speaks protocol revision {welcome.protocol_version}, this worker revision {PROTOCOL_VERSION}"
            )
        self._connection.set_limit(welcome.max_message_bytes)
        dispatcher.set_stream_names(welcome.stream_names)

    async def _drain(self, dispatcher: Dispatcher, drain: Drain) -> None:
        await dispatcher.drain(drain.deadline_unix_ms)
        self._connection.send(drained())
        self._connection.close_writing()
        self._drained = True
        # Normally the reader sees the host end the stream first and stops the
        # session; this is the fallback for a host that keeps it open.
        await asyncio.sleep(DRAIN_CLOSE_GRACE_S)
        self._stopped.set()


def _say(message: str) -> None:
    # The host captures stderr line by line under the step's name.
    print(f"stephost worker: {message}", file=sys.stderr, flush=True)
