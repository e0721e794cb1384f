"""In-memory cron slots: one host, gone when it stops."""

from __future__ import annotations

from datetime import datetime


class MemoryCronSlots:
    def __init__(self) -> None:
        self._claimed: dict[str, set[datetime]] = {}

    async def claim(self, step: str, slot: datetime) -> bool:
        slots = self._claimed.setdefault(step, set())
        if slot in slots:
            return False
        slots.add(slot)
        return True

    async def last_claimed(self, step: str) -> datetime | None:
        slots = self._claimed.get(step)
        return max(slots) if slots else None

    async def close(self) -> None:
        return None
