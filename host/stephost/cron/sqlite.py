"""SQLite cron slots: a claimed slot is a row, so a restarted host knows what already ran."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from stephost.sqlite_file import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cron_slots (
    step TEXT NOT NULL,
    slot REAL NOT NULL,  -- Unix seconds
    PRIMARY KEY (step, slot)
);
CREATE TABLE IF NOT EXISTS cron_runs (
    step TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    lease_until REAL NOT NULL  -- Unix seconds
);
"""
KEEP_PER_STEP = 100  # old rows only answer "when did it last run"; keep a few


class SqliteCronSlots:
    def __init__(self, path: Path) -> None:
        self._conn = open_database(path)
        self._conn.executescript(_SCHEMA)

    async def claim(self, step: str, slot: datetime) -> bool:
        def insert(c: sqlite3.Connection) -> int:
            inserted = c.execute(
                "INSERT OR IGNORE INTO cron_slots (step, slot) VALUES (?, ?)", (step, slot.timestamp())
            ).rowcount
            if inserted:
                c.execute(
                    "DELETE FROM cron_slots WHERE step = ? AND slot < "
                    "(SELECT MIN(slot) FROM (SELECT slot FROM cron_slots WHERE step = ? ORDER BY slot DESC LIMIT ?))",
                    (step, step, KEEP_PER_STEP),
                )
            return int(inserted)

        return bool(await self._conn.write(insert, atomic=True))

    async def last_claimed(self, step: str) -> datetime | None:
        row = self._conn.execute("SELECT MAX(slot) FROM cron_slots WHERE step = ?", (step,)).fetchone()
        return datetime.fromtimestamp(row[0], UTC) if row and row[0] is not None else None

    async def begin_run(self, step: str, run_id: str, lease_s: float) -> bool:
        now = time.time()
        taken = await self._conn.write(
            lambda c: (
                c.execute(
                    "INSERT INTO cron_runs (step, run_id, lease_until) VALUES (?, ?, ?) "
                    "ON CONFLICT (step) DO UPDATE SET run_id = excluded.run_id, lease_until = excluded.lease_until "
                    "WHERE cron_runs.lease_until <= ?",
                    (step, run_id, now + lease_s, now),
                ).rowcount
            )
        )
        return bool(taken)

    async def end_run(self, step: str, run_id: str) -> None:
        await self._conn.write(
            lambda c: c.execute("DELETE FROM cron_runs WHERE step = ? AND run_id = ?", (step, run_id))
        )

    async def close(self) -> None:
        self._conn.close()
