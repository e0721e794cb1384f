"""Cron slot claims: one run per step per schedule slot, however many hosts tick."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class CronSlots(Protocol):
    async def claim(self, step: str, slot: datetime) -> bool:
        """True for exactly one caller per (step, slot): that caller runs the slot."""

    async def last_claimed(self, step: str) -> datetime | None:
        """The latest slot of `step` that was claimed, if any (to report missed runs)."""

    async def close(self) -> None:
        """Release files and connections."""
