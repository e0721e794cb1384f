"""Which storage backend a host runs on, and the one place its stores are built.

Three backends behind the same four interfaces (state, event queue, cron slots,
stream items) plus how stream changes reach WebSocket clients:

- `sqlite` (the default): durable files in the data dir, one host.
- `memory`: gone when the host stops (tests, throwaway runs).
- `redis`: many hosts on one Redis; stream changes travel over Redis pub/sub so
  every host pushes them to its own clients.

The Redis URL comes from `--redis`, else `STEPHOST_REDIS_URL`, else stephost.json
`redis.url`; any of them switches every store to Redis at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stephost.bus.base import QueueStore
from stephost.bus.memory import MemoryQueueStore
from stephost.bus.sqlite import SqliteQueueStore
from stephost.cron.base import CronSlots
from stephost.cron.memory import MemoryCronSlots
from stephost.cron.sqlite import SqliteCronSlots
from stephost.redis_url import DEFAULT_PREFIX, redact
from stephost.state.base import StateStore
from stephost.state.memory import MemoryStateStore
from stephost.state.sqlite import SqliteStateStore
from stephost.streams.base import StreamStore
from stephost.streams.feed import ChangeFeed, LocalFeed
from stephost.streams.hub import StreamHub
from stephost.streams.memory import MemoryStreamStore
from stephost.streams.sqlite import SqliteStreamStore

if TYPE_CHECKING:
    from stephost.redis_link import RedisLink

REDIS_URL_ENV = "STEPHOST_REDIS_URL"
REDIS_PREFIX_ENV = "STEPHOST_REDIS_PREFIX"


@dataclass(frozen=True)
class StorageChoice:
    """What to run on: `kind` is sqlite, memory or redis (then with its URL and key prefix)."""

    kind: str = "sqlite"
    redis_url: str | None = None
    redis_prefix: str = DEFAULT_PREFIX

    def describe(self, data_dir: Path) -> str:
        if self.kind == "redis":
            assert self.redis_url is not None
            link_url = redact(self.redis_url)
            return f"storage: Redis at {link_url} (key prefix {self.redis_prefix!r})"
        if self.kind == "memory":
            return "storage: in memory (lost when the host stops)"
        return f"storage: SQLite in {data_dir}"


def choose_storage(
    cli_kind: str | None,
    cli_redis_url: str | None,
    cli_prefix: str | None,
    project_redis: dict[str, str] | None,
    environ: dict[str, str] | None = None,
) -> StorageChoice:
    """The command line wins, then the environment, then stephost.json; SQLite when none says Redis."""
    env = os.environ if environ is None else environ
    project_redis = project_redis or {}
    prefix = cli_prefix or env.get(REDIS_PREFIX_ENV) or project_redis.get("prefix") or DEFAULT_PREFIX
    if cli_redis_url:
        return StorageChoice("redis", cli_redis_url, prefix)
    if cli_kind is not None:
        return StorageChoice(cli_kind)
    url = env.get(REDIS_URL_ENV) or project_redis.get("url")
    if url:
        return StorageChoice("redis", url, prefix)
    return StorageChoice()


@dataclass
class Storage:
    state: StateStore
    queue: QueueStore
    cron: CronSlots
    streams: StreamStore
    make_feed: Callable[[StreamHub], ChangeFeed]
    link: RedisLink | None = None

    async def close(self) -> None:
        await self.state.close()
        await self.queue.close()
        await self.cron.close()
        await self.streams.close()
        if self.link is not None:
            await self.link.close()


def open_storage(choice: StorageChoice, data_dir: Path) -> Storage:
    """Build every store for `choice`. Nothing connects yet: `Storage.link.ping()` checks Redis."""
    if choice.kind == "redis":
        assert choice.redis_url is not None
        return _open_redis(choice.redis_url, choice.redis_prefix)
    if choice.kind == "memory":
        return Storage(MemoryStateStore(), MemoryQueueStore(), MemoryCronSlots(), MemoryStreamStore(), LocalFeed)
    return Storage(
        SqliteStateStore(data_dir / "state.sqlite3"),
        SqliteQueueStore(data_dir / "events.sqlite3"),
        SqliteCronSlots(data_dir / "cron.sqlite3"),
        SqliteStreamStore(data_dir / "streams.sqlite3"),
        LocalFeed,
    )


def _open_redis(url: str, prefix: str) -> Storage:
    # Imported here: a host on SQLite or memory never loads the Redis client (~50 ms at start).
    from stephost.bus.redis import RedisQueueStore
    from stephost.cron.redis import RedisCronSlots
    from stephost.redis_link import RedisLink
    from stephost.state.redis import RedisStateStore
    from stephost.streams.redis import RedisStreamStore
    from stephost.streams.redis_feed import RedisFeed

    link = RedisLink(url, prefix)
    return Storage(
        RedisStateStore(link),
        RedisQueueStore(link),
        RedisCronSlots(link),
        RedisStreamStore(link),
        lambda hub: RedisFeed(link, hub),
        link,
    )
