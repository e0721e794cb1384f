"""Redis queue store: one event queue shared by every host on one Redis (7 or later).

Each subscribing step has its own stream with one consumer group, and each store
instance (each host) is a consumer of it under a name of its own. Keys, under
the link's prefix (`<step>` may hold ':', the last part never does):

    queue:<step>:stream        deliveries in enqueue order (XADD; group `stephost`)
    queue:<step>:delayed       retries and not-yet-visible deliveries (sorted by due time)
    queue:<step>:autoclaim     where the last XAUTOCLAIM scan of the group's PEL stopped
    queue:<step>:fifo-queued   FIFO: every filed entry, one lexical range per group
    queue:<step>:fifo-ready    FIFO: idle group heads and ungrouped entries, by seq
    queue:<step>:fifo-due      FIFO: the same, by due time
    queue:<step>:fifo-leases   FIFO: running entries, by lease end
    queue:<step>:fifo-meta     FIFO: attempt, due time and holder of running/retried entries
    queue:<step>:reply-<host>  the ids of the host's last claim (60 s), for a retried call
    queue-seq                  the counter behind every stream entry id
    queue-steps                every step that ever had a delivery (for `pending`)
    dlq                        the dead-letter queue, a stream

Standard claim (one script): XAUTOCLAIM what has been pending longer than the
lease (a dead host's work), XREADGROUP new entries, then promote due delayed
deliveries into the stream and read them. A FIFO claim files new entries under
their group and hands out idle group heads that are due, in emit order; only a
head runs, and a retried head keeps its place, so its group waits for it.
Leases are timed on the Redis clock (XAUTOCLAIM idle time, TIME for FIFO): a host
whose clock runs fast cannot end another host's lease early.

A delivery's `id` is its stream entry id; finishing it (complete, retry, dead
letter) is one script that first checks the caller still holds it.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from stephost import json_codec
from stephost.bus.base import DeadLetter, Delivery, Event, Failure
from stephost.bus.redis_scripts import GROUP, QueueScripts
from stephost.errors import StorageUnavailable
from stephost.redis_link import RedisLink

STALE_CONSUMER_MS = 3_600_000
"""`recover` forgets consumers that hold nothing and were idle this long (dead hosts)."""

_STREAM_ID = re.compile(r"^\d+-\d+$")

__all__ = ["GROUP", "RedisQueueStore", "consumer_name"]


def consumer_name() -> str:
    """`host-pid-random`: unique per store instance, even for two hosts in one process."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname()) or "host"
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class _StepKeys:
    stream: str
    delayed: str
    autoclaim: str
    queued: str
    ready: str
    due: str
    leases: str
    meta: str
    reply: str


def _encode_event(event: Event) -> str:
    return json_codec.dumps_text(
        {
            "id": event.id,
            "topic": event.topic,
            "data": event.data,
            "trace_id": event.trace_id,
            "emitted_by": event.emitted_by,
            "group": event.message_group_id,
        }
    )


def _decode_event(raw: str) -> Event:
    e = json_codec.loads(raw)
    return Event(
        id=e["id"],
        topic=e["topic"],
        data=e["data"],
        trace_id=e["trace_id"],
        emitted_by=e["emitted_by"],
        message_group_id=e["group"],
    )


class RedisQueueStore:
    """A QueueStore many hosts share; each instance is one consumer (`consumer`)."""

    def __init__(self, link: RedisLink, consumer: str | None = None) -> None:
        self._link = link
        self.consumer = consumer or consumer_name()
        self._scripts = QueueScripts.register(link)
        self._seq = link.key("queue-seq")
        self._steps = link.key("queue-steps")
        self._dlq = link.key("dlq")
        self._claimed: set[str] = set()

    def _keys(self, step: str) -> _StepKeys:
        def key(part: str) -> str:
            return self._link.key("queue", step, part)

        return _StepKeys(
            stream=key("stream"),
            delayed=key("delayed"),
            autoclaim=key("autoclaim"),
            queued=key("fifo-queued"),
            ready=key("fifo-ready"),
            due=key("fifo-due"),
            leases=key("fifo-leases"),
            meta=key("fifo-meta"),
            reply=key(f"reply-{self.consumer}"),
        )

    async def enqueue(self, event: Event, steps: list[str], available_at: dict[str, float]) -> None:
        if not steps:
            return
        group = event.message_group_id
        keys = [self._seq, self._steps, *(self._keys(step).stream for step in steps)]
        args: list[str | int | float] = [_encode_event(event), "0" if group is None else "1", group or ""]
        for step in steps:
            args += [step, float(available_at[step])]
        async with self._link.guard(f"queue enqueue {event.topic}"):
            await self._scripts.enqueue(keys=keys, args=args)

    async def claim(self, step: str, now: float, limit: int, fifo: bool, lease_s: float) -> list[Delivery]:
        return await self._claim(step, now, limit, fifo, lease_s, uuid.uuid4().hex)

    async def _claim(self, step: str, now: float, limit: int, fifo: bool, lease_s: float, token: str) -> list[Delivery]:
        """`claim`, with the token that makes a repeated call return the first call's deliveries."""
        if limit <= 0:
            return []
        k = self._keys(step)
        args: list[str | int | float] = [float(now), limit, max(0, int(lease_s * 1000)), self.consumer, token]
        self._claimed.add(step)
        async with self._link.guard(f"queue claim {step}"):
            if fifo:
                keys = [k.stream, k.queued, k.ready, k.due, k.leases, k.meta, k.reply, k.delayed, self._seq]
                rows = await self._scripts.claim_fifo(keys=keys, args=args)
            else:
                keys = [
                    k.stream,
                    k.delayed,
                    k.meta,
                    k.reply,
                    k.autoclaim,
                    self._seq,
                    k.queued,
                    k.ready,
                    k.due,
                    k.leases,
                ]
                rows = await self._scripts.claim_standard(keys=keys, args=args)
        return [Delivery(event=_decode_event(d), step=step, attempt=int(a), id=str(i)) for i, a, d in rows]

    async def _finish(self, what: str, delivery: Delivery, *extra: str | int | float) -> bool:
        """Run the finish script; False when this host no longer holds the delivery."""
        k = self._keys(delivery.step)
        keys = [k.stream, k.delayed, k.queued, k.ready, k.due, k.leases, k.meta, self._seq, self._dlq]
        async with self._link.guard(f"queue {what} {delivery.step}"):
            done = await self._scripts.finish(keys=keys, args=[what, delivery.id, self.consumer, *extra])
        return bool(done)

    async def complete(self, delivery: Delivery) -> None:
        await self._finish("complete", delivery)

    async def retry(self, delivery: Delivery, available_at: float, failure: Failure) -> None:
        await self._finish("retry", delivery, delivery.attempt + 1, float(available_at))

    async def dead_letter(self, delivery: Delivery, failure: Failure, now: float) -> None:
        await self._finish(
            "dead",
            delivery,
            delivery.step,
            delivery.attempt,
            float(now),
            failure.code,
            failure.message,
            failure.stack,
        )

    async def next_due(self, step: str) -> float | None:
        k = self._keys(step)
        async with self._link.guard(f"queue next_due {step}"):
            due = await self._scripts.next_due(keys=[k.stream, k.delayed, k.due])
        return None if due is None else float(due)

    async def recover(self) -> int:
        """Takes nothing: other hosts' running deliveries come back only when their lease
        ends (at claim time). Forgets consumers of dead hosts that hold nothing; returns 0."""
        async with self._link.guard("queue recover"):
            for step in sorted(map(str, await self._link.client.smembers(self._steps))):
                await self._scripts.forget_consumers(keys=[self._keys(step).stream], args=["", STALE_CONSUMER_MS])
        return 0

    async def pending(self) -> int:
        async with self._link.guard("queue pending"):
            steps = sorted(map(str, await self._link.client.smembers(self._steps)))
            if not steps:
                return 0
            async with self._link.client.pipeline(transaction=True) as pipe:
                for step in steps:
                    k = self._keys(step)
                    pipe.xlen(k.stream)
                    pipe.zcard(k.delayed)
                counts = await pipe.execute()
        return sum(int(c) for c in counts)

    async def dead_letters(self) -> list[DeadLetter]:
        async with self._link.guard("queue dead_letters"):
            entries = await self._link.client.xrange(self._dlq)
        letters = [_dead_letter(str(entry_id), _strs(fields)) for entry_id, fields in entries or []]
        return sorted(letters, key=lambda d: (d.failed_at, *map(int, d.id.split("-"))))

    async def replay(self, dead_letter_id: str, now: float) -> bool:
        if not _STREAM_ID.match(dead_letter_id):
            return False
        async with self._link.guard(f"queue replay {dead_letter_id}"):
            found = await self._link.client.xrange(self._dlq, dead_letter_id, dead_letter_id)
            if not found:
                return False
            step = _strs(found[0][1])["step"]
            keys = [self._dlq, self._keys(step).stream, self._seq, self._steps]
            moved = await self._scripts.replay(keys=keys, args=[dead_letter_id, float(now), step])
        return int(moved) == 1

    async def purge(self) -> int:
        async with self._link.guard("queue purge"):
            return int(await self._scripts.purge(keys=[self._dlq]))

    async def close(self) -> None:
        """Leave the groups this instance read from, where it holds nothing (what it still
        holds stays for a lease to end). The host owns the link and closes it."""
        try:
            async with self._link.guard("queue close"):
                for step in sorted(self._claimed):
                    await self._scripts.forget_consumers(keys=[self._keys(step).stream], args=[self.consumer, 0])
        except (StorageUnavailable, RedisError):
            pass  # nothing is lost: a consumer left behind is forgotten by a later recover
        self._claimed.clear()


def _strs(fields: Any) -> dict[str, str]:
    """A stream entry's fields as str (the link decodes replies; the stubs cannot know)."""
    return {str(k): str(v) for k, v in (fields or {}).items()}


def _dead_letter(entry_id: str, f: dict[str, str]) -> DeadLetter:
    event = _decode_event(f["d"])
    attempts = int(f["attempts"])
    delivery = Delivery(event=event, step=f["step"], attempt=attempts, id=entry_id)
    return DeadLetter(entry_id, delivery, Failure(f["code"], f["message"], f["stack"]), attempts, float(f["failed_at"]))
