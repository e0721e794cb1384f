"""One contract for every QueueStore implementation (Redis joins with the scale-out work)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stephost.bus.base import Event, Failure, QueueStore
from stephost.bus.memory import MemoryQueueStore
from stephost.bus.sqlite import SqliteQueueStore

BOOM = Failure("HANDLER_ERROR", "boom", "stack...")


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[QueueStore]:
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
    a = await store.claim("A", 10, 10, False)
    b = await store.claim("B", 10, 10, False)
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
    (got,) = await store.claim("A", 10, 1, False)
    assert got.event == ev


async def test_a_claimed_delivery_is_not_handed_out_twice(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    assert len(await store.claim("A", 10, 10, False)) == 1
    assert await store.claim("A", 10, 10, False) == []


async def test_claim_respects_the_limit_and_visibility_time(store: QueueStore) -> None:
    for n in range(3):
        await enqueue(store, event(n), ["A"], at=5.0)
    await enqueue(store, event(9), ["A"], at=50.0)
    assert await store.claim("A", 1.0, 10, False) == []
    assert [d.event.id for d in await store.claim("A", 10.0, 2, False)] == ["e0", "e1"]
    assert await store.next_due("A") == 5.0
    assert [d.event.id for d in await store.claim("A", 10.0, 10, False)] == ["e2"]
    assert await store.next_due("A") == 50.0


async def test_complete_forgets_the_delivery(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    (d,) = await store.claim("A", 10, 1, False)
    await store.complete(d)
    assert await store.pending() == 0


async def test_retry_makes_it_visible_later_with_the_next_attempt_number(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    (d,) = await store.claim("A", 10, 1, False)
    await store.retry(d, 20.0, BOOM)
    assert await store.claim("A", 15, 1, False) == []
    (again,) = await store.claim("A", 20, 1, False)
    assert again.attempt == 2 and again.event.id == "e1"


async def test_dead_letters_keep_error_attempts_and_trace_and_can_be_replayed(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    (d,) = await store.claim("A", 10, 1, False)
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
    (fresh,) = await store.claim("A", 50, 1, False)
    assert fresh.attempt == 1 and fresh.event.id == "e1"
    assert await store.dead_letters() == []


async def test_purge_drops_every_dead_letter(store: QueueStore) -> None:
    for n in range(3):
        await enqueue(store, event(n), ["A"])
    for d in await store.claim("A", 10, 10, False):
        await store.dead_letter(d, BOOM, 1.0)
    assert await store.purge() == 3
    assert await store.dead_letters() == []


async def test_recover_returns_running_deliveries_to_waiting(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    await store.claim("A", 10, 1, False)
    assert await store.recover() == 1
    assert len(await store.claim("A", 10, 1, False)) == 1


async def test_fifo_hands_out_one_delivery_per_group_in_emit_order(store: QueueStore) -> None:
    for n, group in enumerate(["g1", "g1", "g2", "g1", "g2"]):
        await enqueue(store, event(n, group), ["A"])
    first = await store.claim("A", 10, 10, True)
    assert [d.event.id for d in first] == ["e0", "e2"]
    assert await store.claim("A", 10, 10, True) == []
    await store.complete(first[0])
    assert [d.event.id for d in await store.claim("A", 10, 10, True)] == ["e1"]


async def test_a_failing_fifo_delivery_holds_back_its_group_until_it_succeeds(store: QueueStore) -> None:
    await enqueue(store, event(1, "g"), ["A"])
    await enqueue(store, event(2, "g"), ["A"])
    await enqueue(store, event(3, "other"), ["A"])
    claimed = await store.claim("A", 10, 10, True)
    first = next(d for d in claimed if d.event.id == "e1")
    await store.retry(first, 100.0, BOOM)
    # e2 is visible, but its group's oldest (e1) waits for its retry: nothing of group g runs
    assert await store.claim("A", 50, 10, True) == []
    (again,) = await store.claim("A", 100, 10, True)
    assert again.event.id == "e1" and again.attempt == 2
    await store.complete(again)
    assert [d.event.id for d in await store.claim("A", 100, 10, True)] == ["e2"]


async def test_fifo_deliveries_without_a_group_are_not_held(store: QueueStore) -> None:
    await enqueue(store, event(1), ["A"])
    await enqueue(store, event(2), ["A"])
    assert len(await store.claim("A", 10, 10, True)) == 2


async def test_sqlite_deliveries_survive_reopening_the_file(tmp_path: Path) -> None:
    first = SqliteQueueStore(tmp_path / "q.db")
    await enqueue(first, event(1), ["A"])
    await first.claim("A", 10, 1, False)  # running when the "host" died
    await first.close()
    second = SqliteQueueStore(tmp_path / "q.db")
    assert await second.recover() == 1
    (d,) = await second.claim("A", 10, 1, False)
    assert d.event.id == "e1"
    await second.close()
