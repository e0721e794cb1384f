"""In-process event bus: one asyncio queue per subscribing step; lost when the host stops.

The durable default and retries come with the SQLite bus; this one is for unit tests
and the first end-to-end path.
"""

from __future__ import annotations

import asyncio
import logging

from stephost.bus.base import Delivery, DeliveryHandler, Event

log = logging.getLogger("stephost.bus")

DEFAULT_CONCURRENCY = 64


class MemoryEventBus:
    def __init__(self, concurrency: dict[str, int] | None = None) -> None:
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._concurrency = concurrency or {}
        self._tasks: list[asyncio.Task[None]] = []
        self._handler: DeliveryHandler | None = None
        self._in_flight: set[asyncio.Task[None]] = set()

    async def start(self, handler: DeliveryHandler) -> None:
        self._handler = handler

    def _queue_for(self, step: str) -> asyncio.Queue[Delivery]:
        queue = self._queues.get(step)
        if queue is None:
            queue = self._queues[step] = asyncio.Queue()
            self._tasks.append(asyncio.create_task(self._consume(step, queue), name=f"bus:{step}"))
        return queue

    async def publish(self, event: Event, subscribers: list[str]) -> None:
        for step in subscribers:
            self._queue_for(step).put_nowait(Delivery(event=event, step=step))

    async def _consume(self, step: str, queue: asyncio.Queue[Delivery]) -> None:
        slots = asyncio.Semaphore(self._concurrency.get(step, DEFAULT_CONCURRENCY))
        while True:
            delivery = await queue.get()
            await slots.acquire()
            task = asyncio.create_task(self._run(delivery, slots))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _run(self, delivery: Delivery, slots: asyncio.Semaphore) -> None:
        try:
            assert self._handler is not None, "bus used before start()"
            await self._handler(delivery)
        except Exception as exc:  # the handler reports its own failure; the bus must live on
            log.debug("delivery %s failed: %s", delivery.delivery_id, exc)
        finally:
            slots.release()

    async def drain(self) -> None:
        """Wait until every queued and in-flight delivery is done (tests, graceful stop)."""
        while any(not q.empty() for q in self._queues.values()) or self._in_flight:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._in_flight, return_exceptions=True)
        self._tasks.clear()
