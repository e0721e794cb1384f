"""One contract for every StreamStore implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from stephost.streams.base import StreamStore
from stephost.streams.memory import MemoryStreamStore
from stephost.streams.redis import RedisStreamStore
from stephost.streams.sqlite import SqliteStreamStore
from tests.redis_support import redis_link


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StreamStore]:
    if request.param == "redis":
        async with asynccontextmanager(redis_link)() as link:
            redis_store = RedisStreamStore(link)
            yield redis_store
            await redis_store.close()
        return
    impl: StreamStore = MemoryStreamStore() if request.param == "memory" else SqliteStreamStore(tmp_path / "s.db")
    yield impl
    await impl.close()


async def test_set_adds_the_id_and_says_whether_it_created_the_item(store: StreamStore) -> None:
    assert await store.set("chat", "room", "m1", {"text": "hi"}) == ({"text": "hi", "id": "m1"}, True)
    assert await store.set("chat", "room", "m1", {"text": "hi!"}) == ({"text": "hi!", "id": "m1"}, False)
    assert await store.get("chat", "room", "m1") == {"text": "hi!", "id": "m1"}


async def test_a_value_that_is_not_an_object_is_kept_under_data(store: StreamStore) -> None:
    item, _ = await store.set("chat", "room", "n", 42)
    assert item == {"id": "n", "data": 42}
    assert await store.get("chat", "room", "n") == item


async def test_get_group_lists_items_in_creation_order_and_groups_and_streams_stay_apart(
    store: StreamStore,
) -> None:
    for item_id in ["c", "a", "b"]:
        await store.set("chat", "room", item_id, {"v": item_id})
    await store.set("chat", "room", "c", {"v": "c2"})
    await store.set("chat", "other", "x", {"v": "x"})
    await store.set("todo", "room", "y", {"v": "y"})
    assert [i["id"] for i in await store.get_group("chat", "room")] == ["c", "a", "b"]
    assert (await store.get_group("chat", "room"))[0] == {"v": "c2", "id": "c"}
    assert await store.get_group("chat", "nobody") == []


async def test_delete_returns_the_old_item_then_none(store: StreamStore) -> None:
    await store.set("chat", "room", "m", {"v": 1})
    assert await store.delete("chat", "room", "m") == {"v": 1, "id": "m"}
    assert await store.delete("chat", "room", "m") is None
    assert await store.get("chat", "room", "m") is None


async def test_a_returned_item_cannot_change_the_stored_one(store: StreamStore) -> None:
    item, _ = await store.set("chat", "room", "m", {"list": [1]})
    item["list"].append(2)
    got = await store.get("chat", "room", "m")
    assert got == {"list": [1], "id": "m"}


async def test_streams_and_groups_containing_a_colon_never_collide(store: StreamStore) -> None:
    await store.set("a:b", "c", "m", {"v": 1})
    await store.set("a", "b:c", "m", {"v": 2})
    assert await store.get("a:b", "c", "m") == {"v": 1, "id": "m"}
    assert await store.get_group("a", "b:c") == [{"v": 2, "id": "m"}]
