"""`stephost dlq list | show ID | replay ID|--all | purge`: the dead-letter queue from a shell.

Works on the project's data dir directly (SQLite), or on the hosts' Redis with
`--redis URL [--redis-prefix P]`, whether or not a host is running: a running
host sees a replayed event within a second.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stephost.bus.base import QueueStore
from stephost.bus.sqlite import SqliteQueueStore
from stephost.dlq import DeadLetterQueue, summary
from stephost.errors import StorageUnavailable
from stephost.redis_url import DEFAULT_PREFIX

EVENTS_DB = "events.sqlite3"


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def run_dlq_command(
    args: Any, data_dir: Path, redis_url: str | None = None, redis_prefix: str | None = None
) -> int:
    """Run one dlq action. With a Redis URL (given here, or `args.redis`) the dead letters
    are the ones hosts sharing that Redis keep under `redis_prefix` (or `args.redis_prefix`)."""
    url = redis_url or getattr(args, "redis", None)
    if url:
        # imported here: the CLI loads the Redis client only when it talks to Redis
        from stephost.bus.redis import RedisQueueStore
        from stephost.redis_link import RedisLink

        link = RedisLink(url, redis_prefix or getattr(args, "redis_prefix", None) or DEFAULT_PREFIX)
        try:
            return await _run(args, RedisQueueStore(link))
        except StorageUnavailable as exc:
            print(f"stephost: {exc.message}", file=sys.stderr)
            return 1
        finally:
            await link.close()
    db = data_dir / EVENTS_DB
    if not db.exists():
        print(f"stephost: no event store at {db} (has the project run with the embedded default?)", file=sys.stderr)
        return 2
    return await _run(args, SqliteQueueStore(db))


async def _run(args: Any, store: QueueStore) -> int:
    dlq = DeadLetterQueue(store)
    try:
        if args.action == "list":
            letters = await dlq.list()
            if args.json:
                print(json.dumps([summary(d) for d in letters], indent=2))
            elif not letters:
                print("the dead-letter queue is empty")
            else:
                width = max(6, *(len(d.id) for d in letters))  # Redis ids are longer than SQLite's
                print(f"{'ID':>{width}}  {'FAILED AT':<23}  {'STEP':<20}  {'TOPIC':<20}  {'TRIES':>5}  ERROR")
                for d in letters:
                    first_line = d.failure.message.splitlines()[0] if d.failure.message else ""
                    print(
                        f"{d.id:>{width}}  {_stamp(d.failed_at):<23}  {d.delivery.step:<20}  "
                        f"{d.delivery.event.topic:<20}  {d.attempts:>5}  {d.failure.code}: {first_line}"
                    )
            return 0
        if args.action == "show":
            letter = await dlq.get(args.id)
            if letter is None:
                print(f"stephost: no dead letter {args.id!r}", file=sys.stderr)
                return 1
            print(json.dumps(letter.as_json(), indent=2, ensure_ascii=False))
            return 0
        if args.action == "replay":
            if args.all:
                print(f"replayed {await dlq.replay_all()} dead letter(s)")
                return 0
            if not args.id:
                print("stephost: dlq replay needs an ID or --all", file=sys.stderr)
                return 2
            if not await dlq.replay(args.id):
                print(f"stephost: no dead letter {args.id!r}", file=sys.stderr)
                return 1
            print(f"replayed {args.id}")
            return 0
        if args.action == "purge":
            print(f"purged {await dlq.purge()} dead letter(s)")
            return 0
        raise AssertionError(args.action)
    finally:
        await store.close()
