"""In-memory queue store: for unit tests of the dispatcher; lost when the process stops."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from stephost.bus.base import DeadLetter, Delivery, Event, Failure


@dataclass
class _Waiting:
    delivery: Delivery
    available_at: float
    seq: int
    running: bool = False
    claimed_at: float = 0.0


class MemoryQueueStore:
    def __init__(self) -> None:
        self._rows: dict[str, _Waiting] = {}
        self._dead: dict[str, DeadLetter] = {}
        self._ids = itertools.count(1)

    def _add(self, delivery: Delivery, available_at: float) -> None:
        seq = next(self._ids)
        delivery = replace(delivery, id=str(seq))
        self._rows[delivery.id] = _Waiting(delivery, available_at, seq)

    async def enqueue(self, event: Event, steps: list[str], available_at: dict[str, float]) -> None:
        for step in steps:
            self._add(Delivery(event=event, step=step), available_at[step])

    async def claim(self, step: str, now: float, limit: int, fifo: bool, lease_s: float) -> list[Delivery]:
        rows = sorted((r for r in self._rows.values() if r.delivery.step == step), key=lambda r: r.seq)
        for row in rows:
            if row.running and row.claimed_at + lease_s <= now:
                row.running = False  # its lease ran out: as if never claimed, same attempt
        blocked: set[str] = set()
        chosen: list[_Waiting] = []
        if fifo:
            blocked = {g for r in rows if r.running and (g := r.delivery.event.message_group_id)}
        for row in sorted(rows, key=lambda r: (r.available_at, r.seq)) if not fifo else rows:
            if len(chosen) >= limit:
                break
            group = row.delivery.event.message_group_id if fifo else None
            if row.running:
                continue
            if group is not None:
                if group in blocked:
                    continue
                blocked.add(group)  # only the group's oldest may run, visible or not
            if row.available_at <= now:
                chosen.append(row)
        for row in chosen:
            row.running = True
            row.claimed_at = now
        return [r.delivery for r in chosen]

    async def complete(self, delivery: Delivery) -> None:
        self._rows.pop(delivery.id, None)

    async def retry(self, delivery: Delivery, available_at: float, failure: Failure) -> None:
        row = self._rows.get(delivery.id)
        if row is not None:
            row.delivery = replace(row.delivery, attempt=delivery.attempt + 1)
            row.available_at = available_at
            row.running = False

    async def dead_letter(self, delivery: Delivery, failure: Failure, now: float) -> None:
        if self._rows.pop(delivery.id, None) is None:
            return
        self._dead[delivery.id] = DeadLetter(delivery.id, delivery, failure, delivery.attempt, now)

    async def next_due(self, step: str) -> float | None:
        times = [r.available_at for r in self._rows.values() if r.delivery.step == step and not r.running]
        return min(times) if times else None

    async def recover(self) -> int:
        stuck = [r for r in self._rows.values() if r.running]
        for row in stuck:
            row.running = False
        return len(stuck)

    async def pending(self) -> int:
        return len(self._rows)

    async def dead_letters(self) -> list[DeadLetter]:
        return sorted(self._dead.values(), key=lambda d: (d.failed_at, int(d.id)))

    async def replay(self, dead_letter_id: str, now: float) -> bool:
        dead = self._dead.pop(dead_letter_id, None)
        if dead is None:
            return False
        self._add(Delivery(event=dead.delivery.event, step=dead.delivery.step), now)
        return True

    async def purge(self) -> int:
        count = len(self._dead)
        self._dead.clear()
        return count

    async def close(self) -> None:
        return None
