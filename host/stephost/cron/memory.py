"""In-memory cron slots: one host, gone when it stops."""

from __future__ import annotations

import time
from datetime import datetime


class MemoryCronSlots:
    def __init__(self) -> None:
        self._claimed: dict[str, set[datetime]] = {}
        self._runs: dict[str, tuple[str, float]] = {}  # step -> (run id, monotonic end of its lease)

    async def claim(self, step: str, slot: datetime) -> bool:
        slots = self._claimed.setdefault(step, set())
        if slot in slots:
            return False
        slots.add(slot)
        return True

    async def last_claimed(self, step: str) -> datetime | None:
        slots = self._claimed.get(step)
        return max(slots) if slots else None

    async def begin_run(self, step: str, run_id: str, lease_s: float) -> bool:
        held = self._runs.get(step)
        now = time.monotonic()
        if held is not None and held[1] > now:
            return False
        self._runs[step] = (run_id, now + lease_s)
        return True

    async def end_run(self, step: str, run_id: str) -> None:
        held = self._runs.get(step)
        if held is not None and held[0] == run_id:
            del self._runs[step]

    async def close(self) -> None:
        return None
