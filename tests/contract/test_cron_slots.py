"""One contract for every CronSlots implementation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stephost.cron.base import CronSlots
from stephost.cron.memory import MemoryCronSlots
from stephost.cron.redis import RedisCronSlots
from stephost.cron.sqlite import SqliteCronSlots
from tests.redis_support import redis_link

SLOT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def slots(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CronSlots]:
    if request.param == "redis":
        async with asynccontextmanager(redis_link)() as link:
            redis_slots = RedisCronSlots(link)
            yield redis_slots
            await redis_slots.close()
        return
    impl: CronSlots = MemoryCronSlots() if request.param == "memory" else SqliteCronSlots(tmp_path / "c.db")
    yield impl
    await impl.close()


async def test_a_slot_is_claimed_once_per_step(slots: CronSlots) -> None:
    assert await slots.claim("A", SLOT) is True
    assert await slots.claim("A", SLOT) is False
    assert await slots.claim("B", SLOT) is True
    assert await slots.claim("A", SLOT + timedelta(minutes=1)) is True


async def test_the_last_claimed_slot_is_remembered(slots: CronSlots) -> None:
    assert await slots.last_claimed("A") is None
    await slots.claim("A", SLOT)
    await slots.claim("A", SLOT + timedelta(minutes=5))
    assert await slots.last_claimed("A") == SLOT + timedelta(minutes=5)


async def test_sqlite_slots_survive_a_restart(tmp_path: Path) -> None:
    first = SqliteCronSlots(tmp_path / "c.db")
    await first.claim("A", SLOT)
    await first.close()
    second = SqliteCronSlots(tmp_path / "c.db")
    assert await second.claim("A", SLOT) is False
    assert await second.last_claimed("A") == SLOT
    await second.close()


async def test_claiming_an_older_slot_later_does_not_move_the_last_claimed_back(slots: CronSlots) -> None:
    await slots.claim("A", SLOT + timedelta(minutes=5))
    assert await slots.claim("A", SLOT) is True
    assert await slots.last_claimed("A") == SLOT + timedelta(minutes=5)


async def test_one_run_of_a_step_at_a_time_until_it_ends(slots: CronSlots) -> None:
    assert await slots.begin_run("Tick", "run-1", lease_s=60)
    assert not await slots.begin_run("Tick", "run-2", lease_s=60)
    assert await slots.begin_run("Other", "run-3", lease_s=60)  # per step
    await slots.end_run("Tick", "run-2")  # not the holder: changes nothing
    assert not await slots.begin_run("Tick", "run-2", lease_s=60)
    await slots.end_run("Tick", "run-1")
    assert await slots.begin_run("Tick", "run-2", lease_s=60)


async def test_a_run_lock_lapses_with_its_lease_and_the_old_run_cannot_release_the_new_one(slots: CronSlots) -> None:
    assert await slots.begin_run("Tick", "dead-hosts-run", lease_s=0.2)
    await asyncio.sleep(0.4)
    assert await slots.begin_run("Tick", "next", lease_s=60)
    await slots.end_run("Tick", "dead-hosts-run")  # it comes back late: too late to release
    assert not await slots.begin_run("Tick", "third", lease_s=60)
