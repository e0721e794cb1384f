"""The Redis queue store as several hosts see it: two store instances on one prefix are two hosts.

The shared contract is in test_queue_store.py; this covers what only a shared store has:
concurrent claims, leases taken over from a host that stopped, and outages.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from stephost.bus import redis as redis_queue
from stephost.bus.base import Delivery, Event, Failure, QueueStore
from stephost.bus.redis import GROUP, RedisQueueStore
from stephost.errors import StorageUnavailable
from stephost.redis_link import RedisLink
from tests.redis_support import REDIS_URL, new_prefix, two_queue_hosts

BOOM = Failure("HANDLER_ERROR", "boom", "stack...")
LEASE = 900.0

Hosts = tuple[RedisQueueStore, RedisQueueStore]


@pytest.fixture
async def hosts() -> AsyncIterator[Hosts]:
    """Two hosts: each its own connection pool and consumer name, one prefix."""
    async for pair in two_queue_hosts():
        yield pair


def event(n: int, group: str | None = None) -> Event:
    return Event(id=f"e{n}", topic="t", data={"n": n}, trace_id=f"tr{n}", emitted_by="S", message_group_id=group)


async def enqueue(store: QueueStore, ev: Event, steps: list[str], at: float = 0.0) -> None:
    await store.enqueue(ev, steps, dict.fromkeys(steps, at))


async def consumers(store: RedisQueueStore, step: str) -> dict[str, int]:
    """The group's consumers and how many entries each holds."""
    client = store._link.client
    rows = await client.xinfo_consumers(store._link.key("queue", step, "stream"), GROUP)
    return {str(r["name"]): int(r["pending"]) for r in rows}


async def claim_until_empty(
    store: RedisQueueStore,
    got: list[tuple[Delivery, float]],
    *,
    fifo: bool = False,
    until: Callable[[], bool],
    finish: Callable[[RedisQueueStore, Delivery], Awaitable[None]] | None = None,
) -> None:
    """One claiming loop of a host: claim a few, finish each, until `until()` or 10 s pass."""
    deadline = time.monotonic() + 10
    while not until() and time.monotonic() < deadline:
        now = time.time()
        claimed = await store.claim("A", now, random.randint(1, 7), fifo, LEASE)
        for d in claimed:
            got.append((d, now))
            await (finish(store, d) if finish else store.complete(d))
        if not claimed:
            await asyncio.sleep(0.005)


async def test_two_hosts_claiming_together_hand_out_each_of_200_deliveries_exactly_once(hosts: Hosts) -> None:
    a, b = hosts
    for n in range(200):
        await enqueue(a if n % 2 else b, event(n), ["A"])
    got: list[tuple[Delivery, float]] = []
    await asyncio.gather(*(claim_until_empty(h, got, until=lambda: len(got) >= 200) for h in (a, b, a, b, a, b)))
    counts = Counter(d.event.id for d, _ in got)
    assert sorted(counts) == sorted(f"e{n}" for n in range(200))
    assert set(counts.values()) == {1}
    assert await a.pending() == 0


async def test_a_delivery_a_host_never_finished_is_taken_over_after_its_lease(hosts: Hosts) -> None:
    a, b = hosts
    await enqueue(a, event(1), ["A"])
    (held,) = await a.claim("A", time.time(), 10, False, 0.2)
    assert await b.claim("A", time.time(), 10, False, 0.2) == []
    await asyncio.sleep(0.3)
    (taken,) = await b.claim("A", time.time(), 10, False, 0.2)
    assert (taken.id, taken.event, taken.attempt) == (held.id, held.event, 1)
    # The first host wakes up late: what it says no longer counts.
    await a.dead_letter(held, BOOM, time.time())
    await a.retry(held, 0.0, BOOM)
    await a.complete(held)
    assert await a.pending() == 1 and await a.dead_letters() == []
    await b.complete(taken)
    assert await a.pending() == 0


async def test_a_fifo_head_a_host_never_finished_is_taken_over_and_still_holds_its_group(hosts: Hosts) -> None:
    a, b = hosts
    for n in range(3):
        await enqueue(a, event(n, "g"), ["A"])
    (held,) = await a.claim("A", time.time(), 10, True, 0.2)
    assert await b.claim("A", time.time(), 10, True, 0.2) == []
    await asyncio.sleep(0.3)
    (taken,) = await b.claim("A", time.time(), 10, True, 0.2)
    assert (taken.event.id, taken.attempt) == ("e0", 1)
    await a.complete(held)  # stale: ignored, so e1 must not start beside e0
    assert await a.claim("A", time.time(), 10, True, LEASE) == []
    await b.retry(taken, 0.0, BOOM)
    (again,) = await a.claim("A", time.time(), 10, True, LEASE)
    assert (again.event.id, again.attempt) == ("e0", 2)


async def test_delayed_and_retried_deliveries_are_promoted_exactly_once_under_concurrent_claims(
    hosts: Hosts,
) -> None:
    a, b = hosts
    for n in range(100):
        await enqueue(a, event(n), ["A"])
    due = time.time() + 0.3
    for d in await a.claim("A", time.time(), 100, False, LEASE):
        await a.retry(d, due, BOOM)
    for n in range(100, 200):
        await enqueue(b, event(n), ["A"], at=due)  # a queue delay
    got: list[tuple[Delivery, float]] = []
    await asyncio.gather(*(claim_until_empty(h, got, until=lambda: len(got) >= 200) for h in (a, b, a, b)))
    assert Counter(d.event.id for d, _ in got) == Counter(f"e{n}" for n in range(200))
    assert all(now >= due for _, now in got)
    assert {int(d.event.id[1:]) < 100 for d, _ in got if d.attempt == 2} == {True}
    assert sum(d.attempt == 2 for d, _ in got) == 100
    assert await a.pending() == 0


async def test_fifo_across_two_hosts_never_runs_two_of_a_group_and_keeps_emit_order(hosts: Hosts) -> None:
    a, b = hosts
    groups = [f"g{i}" for i in range(5)]

    async def emit() -> None:  # one emitter, so emit order is n, while both hosts claim
        for n in range(100):
            await enqueue(a if n % 3 else b, event(n, groups[n % 5]), ["A"])
            if n % 4 == 0:
                await asyncio.sleep(0.002)

    running: set[str] = set()
    overlaps: list[str] = []
    done: list[Delivery] = []

    async def finish(store: RedisQueueStore, d: Delivery) -> None:
        group = d.event.message_group_id or ""
        if group in running:
            overlaps.append(d.event.id)
        running.add(group)
        await asyncio.sleep(random.random() / 500)
        running.discard(group)  # before the store hears of it: then no one can start the next yet
        if d.attempt == 1 and int(d.event.id[1:]) % 7 == 0:
            await store.retry(d, time.time() + 0.01, BOOM)
        else:
            done.append(d)
            await store.complete(d)

    got: list[tuple[Delivery, float]] = []
    await asyncio.gather(
        emit(),
        *(claim_until_empty(h, got, fifo=True, until=lambda: len(done) >= 100, finish=finish) for h in (a, b, a, b)),
    )
    assert overlaps == []
    assert len(done) == 100
    for group in groups:
        order = [int(d.event.id[1:]) for d in done if d.event.message_group_id == group]
        assert order == sorted(order) and len(order) == 20
    assert await a.pending() == 0


async def test_dead_letters_are_a_stream_every_host_sees_and_replays(hosts: Hosts) -> None:
    a, b = hosts
    await enqueue(a, event(1, "g"), ["A"])
    (d,) = await a.claim("A", 10, 1, False, LEASE)
    await a.dead_letter(d, BOOM, 42.0)
    client = a._link.client
    assert await client.type(a._link.key("dlq")) == "stream"
    (dead,) = await b.dead_letters()
    assert (dead.delivery.event, dead.attempts, dead.failed_at, dead.failure) == (d.event, 1, 42.0, BOOM)
    assert await b.replay(dead.id, 50.0) is True
    assert await a.replay(dead.id, 50.0) is False
    (fresh,) = await a.claim("A", 50, 1, False, LEASE)
    assert (fresh.event, fresh.attempt) == (d.event, 1)
    await a.dead_letter(fresh, BOOM, 51.0)
    assert await b.purge() == 1
    assert await a.dead_letters() == [] and await client.exists(a._link.key("dlq")) == 0


async def test_recover_leaves_other_hosts_running_deliveries_alone(hosts: Hosts) -> None:
    a, b = hosts
    await enqueue(a, event(1), ["A"])
    (held,) = await a.claim("A", 10, 1, False, LEASE)
    assert await b.recover() == 0
    assert await b.claim("A", 10, 10, False, LEASE) == []
    await a.complete(held)
    assert await a.pending() == 0


async def test_recover_forgets_idle_consumers_that_hold_nothing_but_never_one_that_holds_work(
    hosts: Hosts, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = hosts
    await enqueue(a, event(1), ["A"])
    await enqueue(a, event(2), ["A"])
    (done,) = await a.claim("A", 10, 1, False, LEASE)
    await a.complete(done)
    await b.claim("A", 10, 1, False, LEASE)  # b holds e2
    monkeypatch.setattr(redis_queue, "STALE_CONSUMER_MS", 0)
    await RedisQueueStore(a._link).recover()
    assert await consumers(a, "A") == {b.consumer: 1}


async def test_close_leaves_the_group_only_when_holding_nothing(hosts: Hosts) -> None:
    a, b = hosts
    await enqueue(a, event(1), ["A"])
    await a.claim("A", 10, 1, False, LEASE)
    await b.claim("A", 10, 1, False, LEASE)
    await a.close()
    await b.close()
    assert await consumers(a, "A") == {a.consumer: 1}


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
async def test_a_claim_repeated_after_its_reply_was_lost_returns_the_same_deliveries(hosts: Hosts, fifo: bool) -> None:
    a, _ = hosts
    for n in range(3):
        await enqueue(a, event(n, f"g{n}"), ["A"])
    first = await a._claim("A", 10, 2, fifo, LEASE, "token-1")
    again = await a._claim("A", 10, 2, fifo, LEASE, "token-1")
    assert [d.event.id for d in first] == [d.event.id for d in again] == ["e0", "e1"]
    assert [d.event.id for d in await a._claim("A", 10, 5, fifo, LEASE, "token-2")] == ["e2"]


async def test_each_host_has_its_own_consumer_name() -> None:
    link = RedisLink(REDIS_URL, new_prefix())
    try:
        assert RedisQueueStore(link).consumer != RedisQueueStore(link).consumer
    finally:
        await link.close()


OPERATIONS: dict[str, Callable[[RedisQueueStore], Awaitable[object]]] = {
    "queue enqueue t": lambda s: enqueue(s, event(1), ["A"]),
    "queue claim A": lambda s: s.claim("A", 1, 1, False, LEASE),
    "queue complete A": lambda s: s.complete(Delivery(event(1), "A", 1, "1-0")),
    "queue retry A": lambda s: s.retry(Delivery(event(1), "A", 1, "1-0"), 2.0, BOOM),
    "queue dead A": lambda s: s.dead_letter(Delivery(event(1), "A", 1, "1-0"), BOOM, 2.0),
    "queue next_due A": lambda s: s.next_due("A"),
    "queue recover": lambda s: s.recover(),
    "queue pending": lambda s: s.pending(),
    "queue dead_letters": lambda s: s.dead_letters(),
    "queue replay 1-0": lambda s: s.replay("1-0", 2.0),
    "queue purge": lambda s: s.purge(),
}


@pytest.mark.parametrize("doing", list(OPERATIONS))
async def test_an_unreachable_redis_raises_storage_unavailable_naming_the_operation(doing: str) -> None:
    link = RedisLink("redis://127.0.0.1:1/0", new_prefix())
    store = RedisQueueStore(link)
    try:
        with pytest.raises(StorageUnavailable, match=f"\\({doing}\\)"):
            await OPERATIONS[doing](store)
        await store.close()  # never raises: shutting down must go on
    finally:
        await link.close()
