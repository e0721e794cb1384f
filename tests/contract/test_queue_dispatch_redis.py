"""Dispatchers of two hosts on one Redis queue: each delivery once, a dead host's work taken over."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest

from stephost.bus.base import Delivery, DeliveryHandler, Event
from stephost.bus.dispatcher import Dispatcher, Subscription
from stephost.bus.redis import RedisQueueStore
from stephost.bus.retry import RetryPolicy
from stephost.config import QueueSettings
from tests.redis_support import two_queue_hosts

FAST = RetryPolicy(base_delay_s=0.01, max_delay_s=0.02, jitter=0)

Stores = tuple[RedisQueueStore, RedisQueueStore]


@pytest.fixture
async def stores() -> AsyncIterator[Stores]:
    async for pair in two_queue_hosts():
        yield pair


def event(n: int, group: str | None = None) -> Event:
    return Event(id=f"e{n}", topic="t", data=n, trace_id="tr", emitted_by="S", message_group_id=group)


async def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout_s)


async def test_two_hosts_dispatching_from_one_redis_run_each_delivery_once(stores: Stores) -> None:
    handled: list[tuple[str, str]] = []

    def handler_of(host: str) -> DeliveryHandler:
        async def handle(d: Delivery) -> None:
            await asyncio.sleep(random.random() / 200)
            handled.append((host, d.event.id))

        return handle

    sub = [Subscription("A", QueueSettings(concurrency=8))]
    hosts = [Dispatcher(store, handler_of(name), retry=FAST) for store, name in zip(stores, "ab", strict=True)]
    for host in hosts:
        await host.start(sub)
    for n in range(200):
        await hosts[n % 2].publish(event(n), ["A"])
    await wait_until(lambda: len(handled) >= 200)
    assert await hosts[0].drain(5)
    for host in hosts:
        await host.close()
    assert Counter(e for _, e in handled) == Counter(f"e{n}" for n in range(200))
    assert {h for h, _ in handled} == {"a", "b"}


@pytest.mark.parametrize("queue_type", ["standard", "fifo"])
async def test_deliveries_a_dead_host_was_running_are_run_by_another_after_the_visibility_timeout(
    stores: Stores, queue_type: str
) -> None:
    started: list[Delivery] = []
    handled: list[Delivery] = []

    async def hang(d: Delivery) -> None:
        started.append(d)
        await asyncio.Event().wait()

    async def handle(d: Delivery) -> None:
        handled.append(d)

    sub = [Subscription("A", QueueSettings(type=queue_type, visibility_timeout_s=0.5))]
    doomed = Dispatcher(stores[0], hang)
    await doomed.start(sub)
    for n in range(5):
        await doomed.publish(event(n, f"g{n}"), ["A"])
    await wait_until(lambda: len(started) == 5)
    await doomed.close()  # the host dies: its deliveries stay claimed in Redis

    survivor = Dispatcher(stores[1], handle)
    assert await survivor.start(sub) == 0
    await wait_until(lambda: len(handled) == 5)
    assert await survivor.drain(5)
    await survivor.close()
    assert sorted((d.event.id, d.attempt) for d in handled) == [(f"e{n}", 1) for n in range(5)]


async def test_fifo_groups_keep_order_across_two_dispatching_hosts_with_retries(stores: Stores) -> None:
    running: set[str] = set()
    overlaps: list[str] = []
    done: dict[str, list[int]] = {}

    async def handle(d: Delivery) -> None:
        group = d.event.message_group_id or ""
        if group in running:
            overlaps.append(d.event.id)
        running.add(group)
        try:
            await asyncio.sleep(random.random() / 200)
            if d.event.data % 5 == 0 and d.attempt == 1:
                raise RuntimeError("flaky")
            done.setdefault(group, []).append(d.event.data)
        finally:
            running.discard(group)

    sub = [Subscription("A", QueueSettings(type="fifo", concurrency=4))]
    hosts = [Dispatcher(store, handle, retry=FAST) for store in stores]
    for host in hosts:
        await host.start(sub)
    for n in range(60):
        await hosts[n % 2].publish(event(n, f"g{n % 4}"), ["A"])
    await wait_until(lambda: sum(len(v) for v in done.values()) >= 60)
    for host in hosts:
        await host.close()
    assert overlaps == []
    assert done == {f"g{g}": list(range(g, 60, 4)) for g in range(4)}
