"""What only the Redis stores promise: several hosts on one Redis, a fixed key layout, clear outages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from stephost.cron.redis import RedisCronSlots
from stephost.cron.sqlite import KEEP_PER_STEP
from stephost.errors import StorageUnavailable
from stephost.redis_link import RedisLink
from stephost.state.redis import RedisStateStore
from stephost.streams.redis import RedisStreamStore
from tests.redis_support import REDIS_URL, keys_under, new_prefix, redis_link

SLOT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NOTHING_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
async def link() -> AsyncIterator[RedisLink]:
    async for each in redis_link():
        yield each


@pytest.fixture
async def other_host(link: RedisLink) -> AsyncIterator[RedisLink]:
    """A second host's link: its own connections, the same prefix."""
    other = RedisLink(REDIS_URL, link.prefix)
    yield other
    await other.close()


async def test_two_state_stores_on_one_prefix_see_each_others_writes(link: RedisLink, other_host: RedisLink) -> None:
    a, b = RedisStateStore(link), RedisStateStore(other_host)
    await a.set("g", "x", {"from": "a"})
    await b.set("g", "y", 0)
    await a.set("g", "x", {"from": "a", "again": True})
    assert await b.get("g", "x") == {"from": "a", "again": True}
    assert await b.get_group("g") == [{"from": "a", "again": True}, 0]
    assert await b.delete("g", "x") == {"from": "a", "again": True}
    assert await a.get("g", "x") is None
    await b.clear("g")
    assert await a.get_group("g") == []


async def test_concurrent_writers_on_two_hosts_leave_every_key_listed_once(
    link: RedisLink, other_host: RedisLink
) -> None:
    a, b = RedisStateStore(link), RedisStateStore(other_host)
    await asyncio.gather(*(store.set("g", str(n % 20), n) for n in range(100) for store in (a, b)))
    assert sorted(await a.get_group("g")) == sorted(await b.get_group("g"))
    assert len(await a.get_group("g")) == 20
    assert await link.client.zcard(link.key("state_order", "g")) == 20


async def test_a_state_group_is_its_hash_and_its_order_key_and_nothing_else(link: RedisLink) -> None:
    store = RedisStateStore(link)
    await store.set("g", "a", 1)
    await store.set("g", "b", 2)
    await store.set("other:g", "a", 3)
    await store.delete("g", "b")
    expected = [
        ("state", "g"),
        ("state_order", "g"),
        ("state", "other:g"),
        ("state_order", "other:g"),
        ("state_groups",),
    ]
    assert sorted(await keys_under(link.prefix)) == sorted(link.key(*parts) for parts in expected)
    assert await link.client.smembers(link.key("state_groups")) == {"g", "other:g"}
    await store.clear("g")
    await store.delete("other:g", "a")
    assert await keys_under(link.prefix) == []


async def test_groups_written_before_the_group_index_existed_are_listed(link: RedisLink) -> None:
    # as an older stephost left them: the hash and its order, no `state_groups` entry
    for group in ["old", "old:1"]:
        await link.client.hset(link.key("state", group), "k", "1")
        await link.client.zadd(link.key("state_order", group), {"k": 1})
    store = RedisStateStore(link)
    assert await store.groups() == ["old", "old:1"]
    await store.delete("old", "k")
    assert await store.groups() == ["old:1"]
    assert await RedisStateStore(link).groups() == ["old:1"]


async def test_group_listing_does_not_scan_once_the_index_is_built(link: RedisLink) -> None:
    store = RedisStateStore(link)
    await store.set("g", "k", 1)
    assert await store.groups() == ["g"]
    await link.client.hset(link.key("state", "stray"), "k", "1")  # not written through a store
    assert await store.groups() == ["g"]
    await link.client.delete(link.key("state", "stray"))


async def test_a_stream_group_is_its_hash_and_its_order_key_with_the_stream_name_escaped(link: RedisLink) -> None:
    store = RedisStreamStore(link)
    await store.set("a:b", "c", "1", {"v": 1})
    await store.set("a", "b:c", "1", {"v": 2})
    assert await store.get_group("a:b", "c") == [{"v": 1, "id": "1"}]
    assert await store.get_group("a", "b:c") == [{"v": 2, "id": "1"}]
    assert sorted(await keys_under(link.prefix)) == sorted(
        link.key(*parts)
        for parts in [
            ("streams", "a%3Ab", "c"),
            ("streams_order", "a%3Ab", "c"),
            ("streams", "a", "b:c"),
            ("streams_order", "a", "b:c"),
        ]
    )


async def test_twenty_concurrent_claims_from_two_hosts_have_exactly_one_winner(
    link: RedisLink, other_host: RedisLink
) -> None:
    a, b = RedisCronSlots(link), RedisCronSlots(other_host)
    won = await asyncio.gather(*(slots.claim("Tick", SLOT) for _ in range(10) for slots in (a, b)))
    assert won.count(True) == 1
    assert await b.last_claimed("Tick") == SLOT


async def test_the_claim_history_keeps_the_latest_slots_like_sqlite(link: RedisLink) -> None:
    slots = RedisCronSlots(link)
    for minute in range(KEEP_PER_STEP + 5):
        assert await slots.claim("Tick", SLOT + timedelta(minutes=minute))
    assert await slots.last_claimed("Tick") == SLOT + timedelta(minutes=KEEP_PER_STEP + 4)
    assert await link.client.zcard(link.key("cron_claimed", "Tick")) == KEEP_PER_STEP


async def test_one_instant_is_one_slot_whatever_zone_it_is_given_in(link: RedisLink) -> None:
    slots = RedisCronSlots(link)
    assert await slots.claim("Tick", SLOT)
    assert not await slots.claim("Tick", SLOT.astimezone(timezone(timedelta(hours=2))))
    assert await slots.last_claimed("Tick") == SLOT


async def test_a_slot_key_expires_and_the_history_does_not(link: RedisLink) -> None:
    await RedisCronSlots(link).claim("Tick", SLOT)
    slot_keys = [k for k in await keys_under(link.prefix) if k.startswith(link.key("cron", "Tick", ""))]
    assert len(slot_keys) == 1
    assert 0 < await link.client.ttl(slot_keys[0]) <= 7 * 24 * 3600
    assert await link.client.ttl(link.key("cron_claimed", "Tick")) == -1


Call = Callable[[RedisLink], Awaitable[Any]]
OUTAGE_CASES: list[tuple[Call, str]] = [
    (lambda link: RedisStateStore(link).get("g", "k"), "state get g/k"),
    (lambda link: RedisStateStore(link).set("g", "k", 1), "state set g/k"),
    (lambda link: RedisStateStore(link).get_group("g"), "state get_group g"),
    (lambda link: RedisCronSlots(link).claim("Tick", SLOT), "cron claim Tick at 2026-01-01T12:00:00+00:00"),
    (lambda link: RedisCronSlots(link).last_claimed("Tick"), "cron last_claimed Tick"),
    (lambda link: RedisStreamStore(link).set("chat", "room", "m", {}), "streams set chat/room/m"),
    (lambda link: RedisStreamStore(link).delete("chat", "room", "m"), "streams delete chat/room/m"),
]


@pytest.mark.parametrize(("call", "doing"), OUTAGE_CASES, ids=[doing for _, doing in OUTAGE_CASES])
async def test_an_unreachable_redis_is_storage_unavailable_naming_the_operation_quickly(call: Call, doing: str) -> None:
    down = RedisLink(NOTHING_LISTENS, new_prefix())
    started = time.monotonic()
    try:
        with pytest.raises(StorageUnavailable) as caught:
            await call(down)
    finally:
        await down.close()
    assert f"({doing})" in str(caught.value)
    assert "redis://127.0.0.1:1/0" in str(caught.value)
    assert time.monotonic() - started < 3
