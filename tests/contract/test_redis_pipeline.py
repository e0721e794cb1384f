"""The link's command pipeline on a real Redis: what one loop turn issues is sent together,
and each caller still gets its own reply, its own error, or the outage."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import ResponseError

from stephost.errors import StorageUnavailable
from stephost.redis_link import RedisLink
from stephost.redis_pipeline import MAX_PIPELINE
from stephost.state.redis import RedisStateStore
from tests.redis_support import redis_link

NOTHING_LISTENS = "redis://127.0.0.1:1/0"


def open_connections(link: RedisLink) -> int:
    """Connections the link's pool has opened (redis-py counts them per state: idle, used)."""
    return sum(count for count, _ in link.client.connection_pool.get_connection_count())


@pytest.fixture
async def link() -> AsyncIterator[RedisLink]:
    async for each in redis_link():
        yield each


async def test_a_burst_from_many_tasks_is_one_connection_and_keeps_issue_order(link: RedisLink) -> None:
    counter = link.key("counter")
    replies = await asyncio.gather(*(link.commands.execute("INCR", counter) for _ in range(200)))
    assert replies == list(range(1, 201))
    # Sent one by one, 200 concurrent commands would have taken up to 200 pooled connections.
    assert open_connections(link) == 1


async def test_a_burst_larger_than_one_pipeline_is_split_and_every_reply_arrives(link: RedisLink) -> None:
    counter = link.key("counter")
    count = MAX_PIPELINE * 2 + 7
    replies = await asyncio.gather(*(link.commands.execute("INCR", counter) for _ in range(count)))
    assert sorted(replies) == list(range(1, count + 1))


async def test_a_failing_command_fails_its_caller_only(link: RedisLink) -> None:
    text, counter = link.key("text"), link.key("counter")
    await link.client.set(text, "not a number")
    results = await asyncio.gather(
        link.commands.execute("INCR", counter),
        link.commands.execute("INCR", text),
        link.commands.execute("INCR", counter),
        return_exceptions=True,
    )
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], ResponseError)
    assert "not an integer" in str(results[1])


async def test_a_script_redis_has_not_seen_is_loaded_and_run(link: RedisLink) -> None:
    # A body no other test has sent, so Redis answers the first EVALSHA with NOSCRIPT.
    script = link.script(f"-- {uuid.uuid4().hex}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")
    key = link.key("scripted")
    first, second = await asyncio.gather(script(keys=[key], args=[5]), script(keys=[key], args=[7]))
    assert sorted([first, second]) == [5, 12] or sorted([first, second]) == [7, 12]
    assert await script(keys=[key], args=[1]) == 13


async def test_a_cancelled_caller_leaves_the_others_their_replies(link: RedisLink) -> None:
    counter = link.key("counter")
    first = asyncio.ensure_future(link.commands.execute("INCR", counter))
    doomed = asyncio.ensure_future(link.commands.execute("INCR", counter))
    last = asyncio.ensure_future(link.commands.execute("INCR", counter))
    doomed.cancel()
    assert await first == 1
    assert await last == 3  # the cancelled caller's command was already queued: it ran
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert int(await link.client.get(counter)) == 3


async def test_closing_the_link_waits_for_commands_already_issued() -> None:
    async for link in redis_link():
        counter = link.key("counter")
        pending = [asyncio.ensure_future(link.commands.execute("INCR", counter)) for _ in range(5)]
        await asyncio.sleep(0)  # queued, not yet answered
        await link.commands.aclose()
        assert [p.result() for p in pending] == [1, 2, 3, 4, 5]


async def test_every_caller_of_a_pipeline_gets_the_outage_named() -> None:
    link = RedisLink(NOTHING_LISTENS, "stephost-test-dead")
    store = RedisStateStore(link)
    try:
        results = await asyncio.gather(
            store.get("orders", "a"), store.get("orders", "b"), store.set("orders", "c", 1), return_exceptions=True
        )
    finally:
        await link.close()
    assert all(isinstance(r, StorageUnavailable) for r in results), results
    assert "state get orders/a" in str(results[0]) and "state get orders/b" in str(results[1])
    assert "state set orders/c" in str(results[2])
    assert "127.0.0.1:1" in str(results[0])
