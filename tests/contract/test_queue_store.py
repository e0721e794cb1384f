"""One contract for every QueueStore implementation: memory, SQLite and Redis.

Redis specifics (several hosts on one Redis, outages) are in test_queue_store_redis.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from stephost.bus.base import Event, Failure, QueueStore
from stephost.bus.memory import MemoryQueueStore
from stephost.bus.redis import RedisQueueStore
from stephost.bus.sqlite import SqliteQueueStore
from tests.redis_support import redis_link

BOOM = Failure("HANDLER_ERROR", "boom", "stack...")
LEASE = 900.0  # the default visibility timeout: no lease runs out unless a test says so


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[QueueStore]:
    if request.param == "redis":
        async with asynccontextmanager(redis_link)() as link:
            redis_store = RedisQueueStore(link)
            yield redis_store
            await redis_store.close()
        return
    impl: QueueStore = MemoryQueueStore() if request.param == "memory" else SqliteQueueStore(tmp_path / "q.db")
    yield impl
    await impl.close()


@pytest.fixture(params=["memory", "sqlite"])
async def single_host_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[QueueStore]:
    """The stores only one host uses: whatever is running at start was left by its own last run."""
    impl: QueueStore = MemoryQueueStore() if request.param == "memory" else SqliteQueueStore(tmp_path / "q.db")
    yield impl
    await impl.close()


def event(n: int, group: str | None = None, data: object = None) -> Event:
    return Event(
        id=f"e{n}",
        topic="t",
        data=data if data is not None else {"n": n},
        trace_id=f"tr{n}",
        emitted_by="S",
        message_group_id=group,
    )


async def enqueue(store: QueueStore, ev: Event, steps: list[str], at: float = 0.0) -> None:
    await store.enqueue(ev, steps, dict.fromkeys(steps, at))


async def test_each_subscriber_gets_its_own_copy(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A", "B"])
    a = await store.claim("A", 10, 10, False, LEASE)
    b = await store.claim("B", 10, 10, False, LEASE)
    assert [(d.step, d.event.id, d.event.data, d.attempt) for d in a + b] == [
        ("A", "e1", {"n": 1}, 1),
        ("B", "e1", {"n": 1}, 1),
    ]
    assert a[0].id != b[0].id


async def test_event_fields_round_trip(store: QueueStore) -> None:
    ev = Event(
        id="x", topic="t.x", data=[0, False, "", None, {"ü": "✓"}], trace_id="tr", emitted_by="Em", message_group_id="g"
    )
    await enqueue(store, ev, ["A"])
    (got,) = await store.claim("A", 10, 1, False, LEASE)
    assert got.event == ev


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
async def test_event_fields_survive_a_queue_delay_and_a_retry(store: QueueStore, fifo: bool) -> None:
    ev = Event(
        id="x/1",
        topic="t",
        data={"s": 'ü✓ "q" \\ / \n', "n": [1.5, 10**15]},
        trace_id="tr",
        emitted_by="Em",
        message_group_id="g:1 ü",
    )
    await enqueue(store, ev, ["A"], at=5.0)
    assert await store.claim("A", 1, 1, fifo, LEASE) == []
    (got,) = await store.claim("A", 5, 1, fifo, LEASE)
    await store.retry(got, 6.0, BOOM)
    (again,) = await store.claim("A", 6, 1, fifo, LEASE)
    assert (again.event, again.attempt) == (ev, 2)


async def test_a_claimed_delivery_is_not_handed_out_twice(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    assert len(await store.claim("A", 10, 10, False, LEASE)) == 1
    assert await store.claim("A", 10, 10, False, LEASE) == []


async def test_claim_respects_the_limit_and_visibility_time(store: QueueStore) -> None:
    for n in range(3):
        await enqueue(store, event(n), ["A"], at=5.0)
    await enqueue(store, event(9), ["A"], at=50.0)
    assert await store.claim("A", 1.0, 10, False, LEASE) == []
    assert [d.event.id for d in await store.claim("A", 10.0, 2, False, LEASE)] == ["e0", "e1"]
    assert await store.next_due("A") == 5.0
    assert [d.event.id for d in await store.claim("A", 10.0, 10, False, LEASE)] == ["e2"]
    assert await store.next_due("A") == 50.0


async def test_complete_forgets_the_delivery(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    (d,) = await store.claim("A", 10, 1, False, LEASE)
    await store.complete(d)
    assert await store.pending() == 0


async def test_retry_makes_it_visible_later_with_the_next_attempt_number(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    (d,) = await store.claim("A", 10, 1, False, LEASE)
    await store.retry(d, 20.0, BOOM)
    assert await store.claim("A", 15, 1, False, LEASE) == []
    (again,) = await store.claim("A", 20, 1, False, LEASE)
    assert again.attempt == 2 and again.event.id == "e1"


async def test_dead_letters_keep_error_attempts_and_trace_and_can_be_replayed(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    (d,) = await store.claim("A", 10, 1, False, LEASE)
    await store.dead_letter(d, BOOM, 42.0)
    assert await store.pending() == 0
    (dead,) = await store.dead_letters()
    assert dead.as_json() | {"id": "?"} == {
        "id": "?",
        "step": "A",
        "topic": "t",
        "data": {"n": 1},
        "traceId": "tr1",
        "eventId": "e1",
        "messageGroupId": None,
        "attempts": 1,
        "failedAt": 42.0,
        "error": {"code": "HANDLER_ERROR", "message": "boom", "stack": "stack..."},
    }
    assert await store.replay(dead.id, 50.0) is True
    assert await store.replay(dead.id, 50.0) is False
    (fresh,) = await store.claim("A", 50, 1, False, LEASE)
    assert fresh.attempt == 1 and fresh.event.id == "e1"
    assert await store.dead_letters() == []


async def test_purge_drops_every_dead_letter(store: QueueStore) -> None:
    for n in range(3):
        await enqueue(store, event(n), ["A"])
    for d in await store.claim("A", 10, 10, False, LEASE):
        await store.dead_letter(d, BOOM, 1.0)
    assert await store.purge() == 3
    assert await store.dead_letters() == []


async def test_recover_on_a_single_host_store_returns_running_deliveries_to_waiting(
    single_host_store: QueueStore,
) -> None:
    store = single_host_store
    await enqueue(store, event(1), ["A"])
    await store.claim("A", 10, 1, False, LEASE)
    assert await store.recover() == 1
    assert len(await store.claim("A", 10, 1, False, LEASE)) == 1


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
async def test_a_delivery_not_finished_within_its_lease_is_handed_out_again_with_the_same_attempt(
    store: QueueStore, fifo: bool
) -> None:
    # Real time: Redis times leases on its own clock, the others on the `now` they are given.
    await enqueue(store, event(1, "g"), ["A"])
    await enqueue(store, event(2, "g"), ["A"])
    first = await store.claim("A", time.time(), 1, fifo, 0.2)
    assert [(d.event.id, d.attempt) for d in first] == [("e1", 1)]
    if fifo:
        assert await store.claim("A", time.time(), 10, fifo, 0.2) == []
    await asyncio.sleep(0.3)
    again = await store.claim("A", time.time(), 1, fifo, 0.2)
    assert [(d.event.id, d.attempt) for d in again] == [("e1", 1)]
    await store.complete(again[0])
    assert [d.event.id for d in await store.claim("A", time.time(), 10, fifo, 0.2)] == ["e2"]


async def test_pending_counts_waiting_delayed_and_running_deliveries(store: QueueStore) -> None:
    for n in range(3):
        await enqueue(store, event(n), ["A", "B"])
    (running,) = await store.claim("A", 10, 1, False, LEASE)
    await store.retry(running, 100.0, BOOM)
    await store.claim("B", 10, 1, False, LEASE)
    assert await store.pending() == 6
    for d in await store.claim("B", 10, 10, False, LEASE):
        await store.complete(d)
    assert await store.pending() == 4


async def test_a_retried_fifo_head_dead_lettered_lets_its_group_go_on(store: QueueStore) -> None:
    await enqueue(store, event(1, "g"), ["A"])
    await enqueue(store, event(2, "g"), ["A"])
    (head,) = await store.claim("A", 10, 10, True, LEASE)
    await store.retry(head, 20.0, BOOM)
    (again,) = await store.claim("A", 20, 10, True, LEASE)
    await store.dead_letter(again, BOOM, 21.0)
    assert [(d.event.id, d.attempt) for d in await store.claim("A", 21, 10, True, LEASE)] == [("e2", 1)]
    (dead,) = await store.dead_letters()
    assert (dead.delivery.event.message_group_id, dead.attempts) == ("g", 2)


async def test_a_replayed_fifo_delivery_goes_to_the_back_of_its_group(store: QueueStore) -> None:
    await enqueue(store, event(1, "g"), ["A"])
    (d,) = await store.claim("A", 10, 10, True, LEASE)
    await store.dead_letter(d, BOOM, 11.0)
    await enqueue(store, event(2, "g"), ["A"], at=12.0)
    (dead,) = await store.dead_letters()
    assert await store.replay(dead.id, 12.0)
    order = []
    for _ in range(2):
        (head,) = await store.claim("A", 12, 10, True, LEASE)
        order.append((head.event.id, head.attempt))
        await store.complete(head)
    assert order == [("e2", 1), ("e1", 1)]


async def test_replay_of_an_unknown_id_is_false(store: QueueStore) -> None:
    assert await store.replay("no-such-id", 1.0) is False
    assert await store.replay("999", 1.0) is False


async def test_next_due_is_none_when_nothing_waits(store: QueueStore) -> None:
    assert await store.next_due("A") is None
    await enqueue(store, event(1), ["A"], at=3.5)
    assert await store.next_due("A") == 3.5
    (d,) = await store.claim("A", 4, 10, False, LEASE)
    assert await store.next_due("A") is None
    await store.complete(d)
    assert await store.next_due("A") is None


async def test_fifo_hands_out_one_delivery_per_group_in_emit_order(store: QueueStore) -> None:
    for n, group in enumerate(["g1", "g1", "g2", "g1", "g2"]):
        await enqueue(store, event(n, group), ["A"])
    first = await store.claim("A", 10, 10, True, LEASE)
    assert [d.event.id for d in first] == ["e0", "e2"]
    assert await store.claim("A", 10, 10, True, LEASE) == []
    await store.complete(first[0])
    assert [d.event.id for d in await store.claim("A", 10, 10, True, LEASE)] == ["e1"]


async def test_a_failing_fifo_delivery_holds_back_its_group_until_it_succeeds(store: QueueStore) -> None:
    await enqueue(store, event(1, "g"), ["A"])
    await enqueue(store, event(2, "g"), ["A"])
    await enqueue(store, event(3, "other"), ["A"])
    claimed = await store.claim("A", 10, 10, True, LEASE)
    first = next(d for d in claimed if d.event.id == "e1")
    await store.retry(first, 100.0, BOOM)
    # e2 is visible, but its group's oldest (e1) waits for its retry: nothing of group g runs
    assert await store.claim("A", 50, 10, True, LEASE) == []
    (again,) = await store.claim("A", 100, 10, True, LEASE)
    assert again.event.id == "e1" and again.attempt == 2
    await store.complete(again)
    assert [d.event.id for d in await store.claim("A", 100, 10, True, LEASE)] == ["e2"]


async def test_a_fifo_delivery_emitted_while_its_group_runs_waits_for_it(store: QueueStore) -> None:
    await enqueue(store, event(1, "g"), ["A"])
    (head,) = await store.claim("A", 10, 10, True, LEASE)
    await enqueue(store, event(2, "g"), ["A"])
    await enqueue(store, event(3, "h"), ["A"])
    assert [d.event.id for d in await store.claim("A", 10, 10, True, LEASE)] == ["e3"]
    await store.complete(head)
    assert [d.event.id for d in await store.claim("A", 10, 10, True, LEASE)] == ["e2"]


async def test_a_step_switched_between_standard_and_fifo_loses_none_of_its_deliveries(store: QueueStore) -> None:
    for n, group in enumerate(["g", "g", None, "h", "g", None]):
        await enqueue(store, event(n, group), ["A"])
    done: list[str] = []
    (running,) = await store.claim("A", 10, 1, False, LEASE)
    (retried,) = await store.claim("A", 10, 1, False, LEASE)
    await store.retry(retried, 5.0, BOOM)
    for fifo in (True, False, True):  # a config change, and back, and again
        for d in await store.claim("A", 10, 2, fifo, LEASE):
            done.append(d.event.id)
            await store.complete(d)
    await store.complete(running)
    done.append(running.event.id)
    for fifo in (True, False):
        while claimed := await store.claim("A", 10, 10, fifo, LEASE):
            for d in claimed:
                done.append(d.event.id)
                await store.complete(d)
    assert sorted(done) == [f"e{n}" for n in range(6)]
    assert await store.pending() == 0


async def test_fifo_deliveries_without_a_group_are_not_held(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    await enqueue(store, event(2), ["A"])
    assert len(await store.claim("A", 10, 10, True, LEASE)) == 2


async def test_sqlite_deliveries_survive_reopening_the_file(tmp_path: Path) -> None:
    first = SqliteQueueStore(tmp_path / "q.db")
    await enqueue(first, event(1), ["A"])
    await first.claim("A", 10, 1, False, LEASE)  # running when the "host" died
    await first.close()
    second = SqliteQueueStore(tmp_path / "q.db")
    assert await second.recover() == 1
    (d,) = await second.claim("A", 10, 1, False, LEASE)
    assert d.event.id == "e1"
    await second.close()
