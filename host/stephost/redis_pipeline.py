"""Commands issued in one event-loop turn go to Redis as one pipeline.

A host under load issues Redis commands from many tasks at once: a batch of emits from a
worker is a burst of enqueue scripts, a batch of results a burst of finishes, a batch of
`state.set` calls a burst of puts. Sent one by one, each command pays redis-py's whole
path (a pooled connection taken and given back, a timeout, a socket write, a read) and
Redis a read and a reply write of its own. Here a command is queued, and the queue is
sent once per loop turn as one non-transactional pipeline: one connection, one write,
the replies read in order.

What a caller sees does not change. Each awaits its own reply, and a command's error is
raised to its caller alone (the others still get their replies). A connection failure
is raised to every caller of that pipeline, and each caller's `RedisLink.guard` turns it
into `StorageUnavailable`, as before. The commands of a turn run in the order they were
issued; commands from different tasks had no order between them before (each took its
own connection). Nothing is atomic across commands: a pipeline is not MULTI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

MAX_PIPELINE: Final = 512
"""The most commands one pipeline carries; a larger burst goes out as several."""

Arg = str | int | float | bytes


class CommandPipeline:
    """Queues commands and sends each loop turn's as one pipeline. Loop thread only."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._queued: list[tuple[tuple[Arg, ...], asyncio.Future[Any]]] = []
        self._flush_due = False
        self._sending: set[asyncio.Task[None]] = set()

    def execute(self, *args: Arg) -> asyncio.Future[Any]:
        """Queue `args` (a command and its arguments); the future gets its reply."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queued.append((args, future))
        if not self._flush_due:
            self._flush_due = True
            # call_soon runs after the callbacks already ready in this turn, so every
            # command they issue rides in the same pipeline.
            loop.call_soon(self._flush)
        return future

    def script(self, script: AsyncScript) -> PipelinedScript:
        """`script`, called like an AsyncScript but sent through this pipeline."""
        return PipelinedScript(self, script)

    def _flush(self) -> None:
        self._flush_due = False
        queued, self._queued = self._queued, []
        for start in range(0, len(queued), MAX_PIPELINE):
            task = asyncio.get_running_loop().create_task(self._send(queued[start : start + MAX_PIPELINE]))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, commands: list[tuple[tuple[Arg, ...], asyncio.Future[Any]]]) -> None:
        try:
            if len(commands) == 1:
                # one command alone needs no pipeline object (redis-py leaves execute_command untyped)
                replies: list[Any] = [await self._client.execute_command(*commands[0][0])]  # type: ignore[no-untyped-call]
            else:
                async with self._client.pipeline(transaction=False) as pipe:
                    for args, _ in commands:
                        pipe.execute_command(*args)
                    replies = await pipe.execute(raise_on_error=False)
        except asyncio.CancelledError:
            for _, future in commands:
                future.cancel()
            raise
        except Exception as exc:  # every caller of this pipeline gets the failure (an outage, mostly)
            for _, future in commands:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), reply in zip(commands, replies, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def aclose(self) -> None:
        """Wait for the pipelines already sent (their callers are waiting on them)."""
        if self._flush_due:
            self._flush()
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)


class PipelinedScript:
    """A Lua script run with EVALSHA through a `CommandPipeline`.

    Loaded into Redis on first need: a NOSCRIPT reply (a fresh or flushed Redis) loads the
    script and runs that call again, alone.
    """

    def __init__(self, pipeline: CommandPipeline, script: AsyncScript) -> None:
        self._pipeline = pipeline
        self._script = script

    async def __call__(self, keys: Sequence[Arg] = (), args: Sequence[Arg] = ()) -> Any:
        sha = self._script.sha
        try:
            return await self._pipeline.execute("EVALSHA", sha, len(keys), *keys, *args)
        except NoScriptError:
            # AsyncScript loads the script and retries on NOSCRIPT by itself
            retry_keys: list[Any] = list(keys)
            retry_args: list[Any] = list(args)
            return await self._script(keys=retry_keys, args=retry_args)
