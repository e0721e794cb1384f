"""`stephost dlq ... --redis URL --redis-prefix P`: the same commands on the dead letters hosts keep in Redis."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from stephost.bus.base import Event, Failure
from stephost.bus.redis import RedisQueueStore
from tests.redis_support import REDIS_URL, redis_link


@pytest.fixture
async def store() -> AsyncIterator[RedisQueueStore]:
    async with asynccontextmanager(redis_link)() as link:
        queue = RedisQueueStore(link)
        yield queue
        await queue.close()


async def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "stephost.cli", "dlq", *args]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=30)


async def dead_letter(store: RedisQueueStore, n: int) -> None:
    event = Event(id=f"e{n}", topic="orders", data={"n": n}, trace_id="tr", emitted_by="Emitter")
    await store.enqueue(event, ["Shipper"], {"Shipper": 0.0})
    (delivery,) = await store.claim("Shipper", 10.0, 1, False, 900.0)
    await store.dead_letter(delivery, Failure("HANDLER_ERROR", "no stock\nmore", "trace"), 1_700_000_000.0 + n)


async def test_list_show_replay_and_purge_work_on_the_dead_letters_in_redis(store: RedisQueueStore) -> None:
    where = ["--redis", REDIS_URL, "--redis-prefix", store._link.prefix]
    await dead_letter(store, 1)
    await dead_letter(store, 2)

    listed = json.loads((await cli("list", "--json", *where)).stdout)
    assert [(d["eventId"], d["step"], d["attempts"]) for d in listed] == [("e1", "Shipper", 1), ("e2", "Shipper", 1)]
    table = (await cli("list", *where)).stdout.splitlines()
    assert table[0].split()[:2] == ["ID", "FAILED"] and table[1].split()[0] == listed[0]["id"]
    assert "HANDLER_ERROR: no stock" in table[1]

    shown = json.loads((await cli("show", listed[0]["id"], *where)).stdout)
    assert shown["data"] == {"n": 1} and shown["error"]["stack"] == "trace"
    assert (await cli("show", "1-0", *where)).returncode == 1

    replayed = await cli("replay", listed[0]["id"], *where)
    assert replayed.returncode == 0, replayed.stderr
    (again,) = await store.claim("Shipper", 1e10, 10, False, 900.0)
    assert (again.event.id, again.attempt) == ("e1", 1)

    assert (await cli("purge", *where)).stdout.strip() == "purged 1 dead letter(s)"
    assert (await cli("list", *where)).stdout.strip() == "the dead-letter queue is empty"


async def test_an_unreachable_redis_is_reported_with_exit_code_1() -> None:
    done = await cli("list", "--redis", "redis://127.0.0.1:1/0")
    assert done.returncode == 1
    assert "unavailable (queue dead_letters)" in done.stderr and "Traceback" not in done.stderr
