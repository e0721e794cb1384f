"""Delivery logic over any QueueStore: per-step loops, concurrency, retries, FIFO, dead letters.

One loop per subscribing step claims what is due and runs it; a success completes
the delivery, a failure schedules the next attempt with backoff, and the last
failure moves it to the dead-letter queue. The store is the only state: a host
that dies and starts again picks up where it was. A delivery not finished within
its step's visibility timeout may be claimed again, which is how hosts sharing a
store (Redis) take over the work of one that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from stephost import errors
from stephost.bus.base import Delivery, DeliveryDeferred, DeliveryHandler, Event, Failure, QueueStore
from stephost.bus.retry import RetryPolicy
from stephost.config import QueueSettings
from stephost.errors import InvocationFailed, StephostError, StorageUnavailable

log = logging.getLogger("stephost.bus")

Clock = Callable[[], float]
IDLE_POLL_S = 1.0  # a safety net; wake-ups normally come from publish and timers
OUTAGE_BACKOFF_FIRST_S = 0.1
OUTAGE_BACKOFF_MAX_S = 2.0


@dataclass(frozen=True)
class Subscription:
    step: str
    queue: QueueSettings


class Dispatcher:
    """Implements EventBus.publish and runs deliveries for every subscription."""

    def __init__(
        self,
        store: QueueStore,
        handler: DeliveryHandler,
        *,
        retry: RetryPolicy | None = None,
        clock: Clock = time.time,
        default_concurrency: int = 64,
        on_dead_letter: Callable[[Delivery, Failure], None] | None = None,
    ) -> None:
        self._store = store
        self._handler = handler
        self._subs: dict[str, Subscription] = {}
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._default_concurrency = default_concurrency
        self._on_dead_letter = on_dead_letter
        self._wake: dict[str, asyncio.Event] = {}
        self._running: dict[str, set[asyncio.Task[None]]] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    @property
    def store(self) -> QueueStore:
        return self._store

    async def start(self, subscriptions: list[Subscription], *, retry: RetryPolicy | None = None) -> int:
        """Start a loop per subscribing step; returns how many running deliveries the store put back
        (a single-host store: what a previous run left running; a shared one: 0)."""
        if retry is not None:
            self._retry = retry
        recovered = await self._store.recover()
        self.resubscribe(subscriptions)
        return recovered

    def resubscribe(self, subscriptions: list[Subscription]) -> None:
        """Run exactly these subscriptions from now on (`dev` reloads call it again).

        A new step gets its loop; a removed one's loop stops at its next look (deliveries
        running finish; what waits stays in the store for when the step comes back); a
        changed one's queue settings apply from its next claim.
        """
        self._subs = {s.step: s for s in subscriptions}
        for step in self._subs:
            if step not in self._loops or self._loops[step].done():
                self._wake.setdefault(step, asyncio.Event())
                self._running.setdefault(step, set())
                self._loops[step] = asyncio.create_task(self._loop(step), name=f"dispatch:{step}")
        for step, wake in self._wake.items():
            if step not in self._subs:
                wake.set()  # its loop sees it is gone

    async def publish(self, event: Event, subscribers: list[str]) -> None:
        now = self._clock()
        available = {s: now + (self._subs[s].queue.delay_s if s in self._subs else 0) for s in subscribers}
        await self._store.enqueue(event, subscribers, available)
        for step in subscribers:
            wake = self._wake.get(step)
            if wake is not None:
                wake.set()

    def wake(self, step: str | None = None) -> None:
        """Look at the store again now (after a replay, say)."""
        for name, event in self._wake.items():
            if step is None or step == name:
                event.set()

    async def _loop(self, step: str) -> None:
        running = self._running[step]
        wake = self._wake[step]
        outage_backoff = 0.0  # > 0 while the store is unreachable
        while not self._closing:
            wake.clear()
            sub = self._subs.get(step)
            if sub is None:
                return  # unsubscribed
            fifo = sub.queue.type == "fifo"
            limit = sub.queue.concurrency or self._default_concurrency
            free = limit - len(running)
            lease = sub.queue.visibility_timeout_s
            try:
                claimed = await self._store.claim(step, self._clock(), free, fifo, lease) if free > 0 else []
                due = None if claimed and len(claimed) == free else await self._store.next_due(step)
            except StorageUnavailable as exc:
                # Nothing was claimed: wait and ask again; the store reconnects on its own.
                if not outage_backoff:
                    log.warning("events for step %s wait: %s", step, exc.message)
                outage_backoff = min(OUTAGE_BACKOFF_MAX_S, outage_backoff * 2 or OUTAGE_BACKOFF_FIRST_S)
                await asyncio.sleep(outage_backoff)
                continue
            if outage_backoff:
                log.warning("events for step %s flow again: the store is back", step)
                outage_backoff = 0.0
            for delivery in claimed:
                task = asyncio.create_task(self._run(delivery, sub), name=f"deliver:{step}")
                running.add(task)
                task.add_done_callback(running.discard)
            if claimed and len(claimed) == free:
                continue  # there may be more already due
            now = self._clock()
            # Nothing waiting, or what waits is held back (FIFO group busy, no free slot):
            # only a publish or a finished delivery changes that, and both wake us.
            timeout = IDLE_POLL_S if due is None or due <= now else min(IDLE_POLL_S, due - now)
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that
            # races with the event being set, and this loop must stop when closed.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await wake.wait()

    async def _run(self, delivery: Delivery, sub: Subscription) -> None:
        try:
            await self._record(delivery, sub)
        except StorageUnavailable as exc:
            # The outcome is not stored: the delivery stays claimed and runs again once its
            # lease (the step's visibilityTimeout) lapses. At least once, never lost.
            log.warning(
                "the outcome of event %s for step %s was not stored (%s); it will run again",
                delivery.event.id,
                sub.step,
                exc.message,
            )
        finally:
            # Free the slot before waking the loop: a done-callback would run only after
            # the loop has already looked and found no room.
            task = asyncio.current_task()
            if task is not None:
                self._running[sub.step].discard(task)
            self._wake[sub.step].set()

    async def _record(self, delivery: Delivery, sub: Subscription) -> None:
        """Run the delivery and store its outcome: done, another attempt later, or dead."""
        try:
            await self._handler(delivery)
        except DeliveryDeferred as deferred:
            # Not an attempt: the store counts one up on retry, so hand it the previous number.
            not_tried = replace(delivery, attempt=delivery.attempt - 1)
            await self._store.retry(not_tried, self._clock() + deferred.delay_s, Failure("DEFERRED", deferred.reason))
        except Exception as exc:
            failure = _failure(exc)
            if failure.code == errors.STORAGE_UNAVAILABLE:
                # The store failed, not the handler: try again later without using up an attempt.
                not_tried = replace(delivery, attempt=delivery.attempt - 1)
                await self._store.retry(not_tried, self._clock() + self._retry.delay_after(1), failure)
                return
            if delivery.attempt > sub.queue.max_retries:
                await self._store.dead_letter(delivery, failure, self._clock())
                if self._on_dead_letter is not None:
                    self._on_dead_letter(delivery, failure)
            else:
                delay = self._retry.delay_after(delivery.attempt)
                await self._store.retry(delivery, self._clock() + delay, failure)
        else:
            await self._store.complete(delivery)

    async def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until nothing is pending; True if that happened within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await self._store.pending() == 0:
                return True
            await asyncio.sleep(0.01)
        return False

    async def close(self) -> None:
        """Stop claiming; in-flight deliveries are cancelled and stay in the store to run again."""
        self._closing = True
        tasks = [*self._loops.values(), *(t for ts in self._running.values() for t in ts)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loops.clear()


def _failure(exc: BaseException) -> Failure:
    if isinstance(exc, InvocationFailed):
        message = f"{exc.name}: {exc.message}" if exc.name else exc.message
        return Failure(exc.code, message, exc.stack)
    if isinstance(exc, StephostError):
        return Failure(exc.code, exc.message)
    return Failure(errors.INTERNAL, f"{type(exc).__name__}: {exc}")
