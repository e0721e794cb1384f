"""The dead-letter queue as users see it: list, show, replay, purge (CLI and JSON endpoints)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from stephost.bus.base import DeadLetter, QueueStore


class DeadLetterQueue:
    def __init__(self, store: QueueStore, wake: Callable[[str | None], None] | None = None) -> None:
        self._store = store
        self._wake = wake  # tells a running dispatcher to look again at once

    async def list(self) -> list[DeadLetter]:
        return await self._store.dead_letters()

    async def get(self, dead_letter_id: str) -> DeadLetter | None:
        return next((d for d in await self._store.dead_letters() if d.id == dead_letter_id), None)

    async def replay(self, dead_letter_id: str) -> bool:
        letter = await self.get(dead_letter_id)
        if letter is None or not await self._store.replay(dead_letter_id, time.time()):
            return False
        if self._wake is not None:
            self._wake(letter.delivery.step)
        return True

    async def replay_all(self) -> int:
        count = 0
        for letter in await self._store.dead_letters():
            count += await self.replay(letter.id)
        return count

    async def purge(self) -> int:
        return await self._store.purge()


def summary(letter: DeadLetter) -> dict[str, Any]:
    """The list view: everything but the data and the stack."""
    full = letter.as_json()
    return {k: v for k, v in full.items() if k != "data"} | {
        "error": {"code": letter.failure.code, "message": letter.failure.message}
    }
