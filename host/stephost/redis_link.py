"""The one Redis connection of a host, the key prefix it lives under, and outage handling.

Every Redis adapter (state, events, streams, cron) takes a `RedisLink` rather than
a URL: one connection pool per host, one prefix so several projects or test runs
share a Redis without seeing each other's keys, and one translation of connection
failures into `StorageUnavailable` so a caller gets a clear, retryable error
(api: 503) instead of a redis-py traceback.

redis-py reconnects by itself: a call made after Redis is back opens a fresh
connection. The `Retry` below retries a failed command a few times with
exponential backoff before the outage is reported, so a blip is invisible.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from stephost.errors import StorageUnavailable
from stephost.redis_pipeline import CommandPipeline, PipelinedScript
from stephost.redis_url import DEFAULT_PREFIX, redact

MAX_CONNECTIONS = 256
POOL_WAIT_S = 10.0
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


class RedisLink:
    """One asyncio Redis client and the prefix every key of this host starts with."""

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        # A blocking pool: a burst of calls waits for a free connection instead of failing with
        # "Too many connections" (which would read as an outage).
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_WAIT_S,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=10,
            health_check_interval=15,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self.client: aioredis.Redis = aioredis.Redis(connection_pool=pool)
        # The hot paths (queue scripts, state and stream writes, state reads) go through
        # this: what one loop turn issues is one pipeline (redis_pipeline.py).
        self.commands = CommandPipeline(self.client)

    def script(self, body: str) -> PipelinedScript:
        """A Lua script, run through `commands` (loaded into Redis on first use)."""
        return self.commands.script(self.client.register_script(body))

    def key(self, *parts: str) -> str:
        """`prefix:part:part`. Each structure uses a fixed number of parts, so a ':' inside
        a user's group or id cannot make two different keys collide."""
        return ":".join((self.prefix, *parts))

    @staticmethod
    def redact(url: str) -> str:
        """`url` without its credentials, for logs and errors."""
        return redact(url)

    def redacted_url(self) -> str:
        return self.redact(self.url)

    @asynccontextmanager
    async def guard(self, doing: str) -> AsyncIterator[None]:
        """Turn a connection failure inside the block into StorageUnavailable naming what failed."""
        try:
            yield
        except OUTAGE_ERRORS as exc:
            raise StorageUnavailable(f"Redis at {self.redacted_url()} is unavailable ({doing}): {exc}") from exc

    async def ping(self) -> None:
        async with self.guard("ping"):
            await self.client.ping()

    async def close(self) -> None:
        await self.commands.aclose()
        await self.client.aclose()
        await self.client.connection_pool.disconnect()
