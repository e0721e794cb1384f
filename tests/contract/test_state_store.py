"""One contract for every StateStore implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from stephost.state.base import StateStore
from stephost.state.memory import MemoryStateStore
from stephost.state.redis import RedisStateStore
from stephost.state.sqlite import SqliteStateStore
from tests.redis_support import redis_link


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    if request.param == "redis":
        async with asynccontextmanager(redis_link)() as link:
            redis_store = RedisStateStore(link)
            yield redis_store
            await redis_store.close()
        return
    impl: StateStore = MemoryStateStore() if request.param == "memory" else SqliteStateStore(tmp_path / "state.db")
    yield impl
    await impl.close()


async def test_get_of_a_missing_key_is_none(store: StateStore) -> None:
    assert await store.get("g", "missing") is None


@pytest.mark.parametrize("value", [0, False, "", [], {}, None, 1.5, "x", {"a": [1, {"b": None}]}])
async def test_set_returns_the_value_and_get_gives_it_back_unchanged(store: StateStore, value: Any) -> None:
    assert await store.set("g", "k", value) == value
    assert await store.get("g", "k") == value


async def test_delete_returns_the_old_value_then_none(store: StateStore) -> None:
    await store.set("g", "k", {"v": 1})
    assert await store.delete("g", "k") == {"v": 1}
    assert await store.delete("g", "k") is None
    assert await store.get("g", "k") is None


async def test_groups_never_bleed_into_each_other(store: StateStore) -> None:
    await store.set("user", "1", "a")
    await store.set("users", "1", "b")
    await store.set("user:1", "x", "c")
    assert await store.get_group("user") == ["a"]
    assert await store.get_group("users") == ["b"]
    await store.clear("user")
    assert await store.get_group("user") == []
    assert await store.get_group("users") == ["b"]


async def test_get_group_lists_values_in_insertion_order(store: StateStore) -> None:
    for key in ["c", "a", "b"]:
        await store.set("g", key, key.upper())
    assert await store.get_group("g") == ["C", "A", "B"]


async def test_a_returned_value_cannot_change_the_stored_one(store: StateStore) -> None:
    await store.set("g", "k", {"list": [1]})
    got = await store.get("g", "k")
    got["list"].append(2)
    assert await store.get("g", "k") == {"list": [1]}


async def test_updating_a_key_keeps_its_place_in_the_group(store: StateStore) -> None:
    await store.set("g", "a", 1)
    await store.set("g", "b", 2)
    await store.set("g", "a", 3)
    assert await store.get_group("g") == [3, 2]


async def test_unicode_and_large_values_round_trip(store: StateStore) -> None:
    value = {"text": "żółć ✓ 🚀", "blob": "x" * 200_000, "n": 2**53 - 1}
    await store.set("g", "k", value)
    assert await store.get("g", "k") == value


async def test_an_empty_store_has_no_groups(store: StateStore) -> None:
    assert await store.groups() == []


async def test_groups_lists_every_group_with_a_key_sorted(store: StateStore) -> None:
    for group in ["users", "user:1", "b", "user", "a/b", "żółw"]:
        await store.set(group, "k", 1)
    await store.set("b", "k2", 2)
    assert await store.groups() == sorted(["users", "user:1", "b", "user", "a/b", "żółw"])


async def test_a_group_leaves_the_list_when_its_last_key_is_deleted(store: StateStore) -> None:
    await store.set("user", "1", "a")
    await store.set("user", "2", "b")
    await store.set("users", "1", "c")
    await store.delete("user", "1")
    assert await store.groups() == ["user", "users"]
    await store.delete("user", "2")
    assert await store.groups() == ["users"]
    await store.delete("user", "2")
    assert await store.groups() == ["users"]


async def test_a_cleared_group_leaves_the_list_and_its_neighbours_stay(store: StateStore) -> None:
    for group in ["user", "users", "user:1"]:
        await store.set(group, "k", group)
    await store.clear("user")
    assert await store.groups() == ["user:1", "users"]
    await store.clear("user:1")
    await store.clear("nothing-here")
    assert await store.groups() == ["users"]
    await store.set("user", "k", "again")
    assert await store.groups() == ["user", "users"]


async def test_items_gives_keys_and_values_in_insertion_order(store: StateStore) -> None:
    for key in ["c", "a", "b"]:
        await store.set("g", key, {"v": key})
    await store.set("g", "a", 0)
    await store.set("g:x", "z", "other group")
    assert await store.items("g") == [("c", {"v": "c"}), ("a", 0), ("b", {"v": "b"})]
    assert await store.items("missing") == []


async def test_an_item_returned_cannot_change_the_stored_one(store: StateStore) -> None:
    await store.set("g", "k", {"list": [1]})
    [(_, got)] = await store.items("g")
    got["list"].append(2)
    assert await store.items("g") == [("k", {"list": [1]})]
