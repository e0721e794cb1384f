"""Cron slot claims: one run per step per schedule slot, however many hosts tick."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class CronSlots(Protocol):
    async def claim(self, step: str, slot: datetime) -> bool:
        """True for exactly one caller per (step, slot): that caller runs the slot."""

    async def last_claimed(self, step: str) -> datetime | None:
        """The latest slot of `step` that was claimed, if any (to report missed runs)."""

    async def begin_run(self, step: str, run_id: str, lease_s: float) -> bool:
        """Take `step`'s run lock for `run_id`: False while another run holds it.

        The lock lapses after `lease_s` even if never released, so a host that died
        mid-run does not stop the step for good.
        """

    async def end_run(self, step: str, run_id: str) -> None:
        """Release the run lock if `run_id` still holds it (never another run's lock)."""

    async def close(self) -> None:
        """Release files and connections."""
