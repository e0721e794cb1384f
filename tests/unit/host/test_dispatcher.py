"""The dispatcher's delivery rules on the memory store, with a real event loop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stephost.bus.base import Delivery, Event, Failure
from stephost.bus.dispatcher import Dispatcher, Subscription
from stephost.bus.memory import MemoryQueueStore
from stephost.bus.retry import RetryPolicy
from stephost.config import QueueSettings
from stephost.errors import InvocationFailed, StorageUnavailable

FAST = RetryPolicy(base_delay_s=0.01, max_delay_s=0.02, jitter=0)


def event(n: int, group: str | None = None) -> Event:
    return Event(id=f"e{n}", topic="t", data=n, trace_id="tr", emitted_by="S", message_group_id=group)


async def run_until(predicate: Any, timeout_s: float = 5.0) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(wait(), timeout_s)


async def test_a_failing_delivery_is_retried_max_retries_times_then_dead_lettered() -> None:
    attempts: list[int] = []
    dead: list[tuple[Delivery, Failure]] = []

    async def handler(d: Delivery) -> None:
        attempts.append(d.attempt)
        raise InvocationFailed("HANDLER_ERROR", "nope", stack="trace", name="ValueError")

    store = MemoryQueueStore()
    dispatcher = Dispatcher(store, handler, retry=FAST, on_dead_letter=lambda d, f: dead.append((d, f)))
    await dispatcher.start([Subscription("A", QueueSettings(max_retries=2))])
    await dispatcher.publish(event(1), ["A"])
    await run_until(lambda: dead)
    await dispatcher.close()
    assert attempts == [1, 2, 3]
    (letter,) = await store.dead_letters()
    assert letter.attempts == 3
    assert letter.failure == Failure("HANDLER_ERROR", "ValueError: nope", "trace")


async def test_a_delivery_that_succeeds_on_retry_is_done() -> None:
    attempts: list[int] = []

    async def handler(d: Delivery) -> None:
        attempts.append(d.attempt)
        if d.attempt == 1:
            raise RuntimeError("flaky")

    store = MemoryQueueStore()
    dispatcher = Dispatcher(store, handler, retry=FAST)
    await dispatcher.start([Subscription("A", QueueSettings())])
    await dispatcher.publish(event(1), ["A"])
    assert await dispatcher.drain(5)
    await dispatcher.close()
    assert attempts == [1, 2]
    assert await store.dead_letters() == []


async def test_concurrency_bounds_the_deliveries_running_at_once() -> None:
    running = 0
    peak = 0
    done = 0

    async def handler(d: Delivery) -> None:
        nonlocal running, peak, done
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        done += 1

    dispatcher = Dispatcher(MemoryQueueStore(), handler)
    await dispatcher.start([Subscription("A", QueueSettings(concurrency=3))])
    for n in range(20):
        await dispatcher.publish(event(n), ["A"])
    await run_until(lambda: done == 20)
    await dispatcher.close()
    assert peak == 3


async def test_fifo_groups_run_in_order_one_at_a_time_and_in_parallel_across_groups() -> None:
    seen: dict[str, list[int]] = {"a": [], "b": []}
    active: set[str] = set()
    overlap_across_groups = False
    failed_once = False

    async def handler(d: Delivery) -> None:
        nonlocal overlap_across_groups, failed_once
        group = d.event.message_group_id
        assert group is not None and group not in active, "two of one group at once"
        active.add(group)
        if len(active) > 1:
            overlap_across_groups = True
        await asyncio.sleep(0.005)
        active.discard(group)
        if d.event.data == 2 and not failed_once:
            failed_once = True
            raise RuntimeError("fail the second event of group a once")
        seen[group].append(d.event.data)

    dispatcher = Dispatcher(MemoryQueueStore(), handler, retry=FAST)
    await dispatcher.start([Subscription("A", QueueSettings(type="fifo"))])
    for n in range(1, 6):
        await dispatcher.publish(event(n, "a"), ["A"])
        await dispatcher.publish(event(n + 100, "b"), ["A"])
    await run_until(lambda: len(seen["a"]) == 5 and len(seen["b"]) == 5)
    await dispatcher.close()
    assert seen["a"] == [1, 2, 3, 4, 5]
    assert seen["b"] == [101, 102, 103, 104, 105]
    assert overlap_across_groups


async def test_delay_seconds_holds_a_new_delivery_back() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    ran_at: list[float] = []

    async def handler(d: Delivery) -> None:
        ran_at.append(loop.time() - started)

    dispatcher = Dispatcher(MemoryQueueStore(), handler)
    await dispatcher.start([Subscription("A", QueueSettings(delay_s=0.2))])
    await dispatcher.publish(event(1), ["A"])
    await run_until(lambda: ran_at)
    await dispatcher.close()
    assert ran_at[0] >= 0.19


def test_backoff_grows_exponentially_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(base_delay_s=1, factor=2, max_delay_s=10, jitter=0.5)
    assert [policy.delay_after(n, rand=0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert policy.delay_after(3, rand=1) == 2


class UnreachableWhileDown(MemoryQueueStore):
    """A memory store that fails like Redis during an outage while `down` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.refused = 0
        self.completes_to_refuse = 0

    def _check(self, what: str) -> None:
        if self.down:
            self.refused += 1
            raise StorageUnavailable(f"Redis at redis://127.0.0.1:6379/0 is unavailable ({what}): refused")

    async def claim(self, step: str, now: float, limit: int, fifo: bool, lease_s: float) -> list[Delivery]:
        self._check("claim")
        return await super().claim(step, now, limit, fifo, lease_s)

    async def complete(self, delivery: Delivery) -> None:
        if self.completes_to_refuse:
            self.completes_to_refuse -= 1
            raise StorageUnavailable("Redis at redis://127.0.0.1:6379/0 is unavailable (complete): refused")
        self._check("complete")
        await super().complete(delivery)


async def test_the_event_loop_waits_out_an_outage_and_delivers_when_the_store_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[int] = []

    async def handler(d: Delivery) -> None:
        handled.append(d.event.data)

    store = UnreachableWhileDown()
    dispatcher = Dispatcher(store, handler, retry=FAST)
    await dispatcher.start([Subscription("A", QueueSettings())])
    store.down = True
    await store.enqueue(event(1), ["A"], {"A": 0})  # stored before the outage reached the loop
    dispatcher.wake("A")
    await run_until(lambda: store.refused >= 3)  # the loop kept asking, with backoff
    assert handled == []
    store.down = False
    await run_until(lambda: handled == [1])
    assert await dispatcher.drain(5)
    await dispatcher.close()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("events for step A wait" in m for m in messages) == 1  # once per outage, not per try
    assert any("events for step A flow again" in m for m in messages)


async def test_an_outcome_that_cannot_be_stored_leaves_the_delivery_to_run_again_after_its_lease() -> None:
    handled: list[int] = []
    store = UnreachableWhileDown()
    store.completes_to_refuse = 1  # the first completion hits the outage

    async def handler(d: Delivery) -> None:
        handled.append(d.attempt)

    dispatcher = Dispatcher(store, handler, retry=FAST)
    await dispatcher.start([Subscription("A", QueueSettings(visibility_timeout_s=0.2))])
    await dispatcher.publish(event(1), ["A"])
    await run_until(lambda: len(handled) == 2)
    assert await dispatcher.drain(5)
    await dispatcher.close()
    assert handled == [1, 1]  # the same attempt again: at least once, nothing lost, no attempt used


async def test_a_handler_failing_on_a_store_outage_does_not_use_up_an_attempt() -> None:
    attempts: list[int] = []

    async def handler(d: Delivery) -> None:
        attempts.append(d.attempt)
        if len(attempts) < 3:
            raise InvocationFailed("STORAGE_UNAVAILABLE", "Redis at redis://x is unavailable (state get)")

    store = MemoryQueueStore()
    dispatcher = Dispatcher(store, handler, retry=FAST)
    await dispatcher.start([Subscription("A", QueueSettings(max_retries=0))])
    await dispatcher.publish(event(1), ["A"])
    assert await dispatcher.drain(5)
    await dispatcher.close()
    assert attempts == [1, 1, 1]
    assert await store.dead_letters() == []  # maxRetries 0, yet nothing was dead-lettered
