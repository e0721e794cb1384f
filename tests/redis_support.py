"""Redis for tests: the local server on loopback, a fresh key prefix per test, cleaned up after.

Tests never touch keys outside their own prefix, so they can run beside a developer's
own data and beside each other.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import redis
import redis.asyncio as aioredis

from stephost.bus.redis import RedisQueueStore
from stephost.redis_link import RedisLink

REDIS_URL = "redis://127.0.0.1:6379/0"


def new_prefix() -> str:
    return f"stephost-test-{uuid.uuid4().hex[:12]}"


def delete_prefix(prefix: str, url: str = REDIS_URL) -> int:
    """Remove every key under `prefix` (synchronously, for fixtures' teardown)."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


async def redis_link() -> AsyncIterator[RedisLink]:
    """The body of an async fixture: `link = RedisLink(...)` under a fresh prefix, removed after."""
    link = RedisLink(REDIS_URL, new_prefix())
    try:
        yield link
    finally:
        await link.close()
        delete_prefix(link.prefix)


async def keys_under(prefix: str) -> list[str]:
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return [k async for k in client.scan_iter(match=f"{prefix}:*")]
    finally:
        await client.aclose()


async def two_queue_hosts() -> AsyncIterator[tuple[RedisQueueStore, RedisQueueStore]]:
    """The body of an async fixture: two hosts' queue stores on one fresh prefix, each with its
    own connection pool and consumer name."""
    async for link in redis_link():
        other = RedisLink(REDIS_URL, link.prefix)
        a, b = RedisQueueStore(link), RedisQueueStore(other)
        try:
            yield a, b
        finally:
            await a.close()
            await b.close()
            await other.close()
