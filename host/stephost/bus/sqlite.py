"""SQLite queue store: the embedded default. Deliveries live in a file; a host that
dies loses nothing, and on restart the deliveries it was running are run again.

Every write is one short piece of the current group transaction, run inline on the event
loop, and returns once that group is committed (`stephost.sqlite_file`; WAL,
synchronous=NORMAL: durable against the process dying).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from stephost import json_codec
from stephost.bus.base import DeadLetter, Delivery, Event, Failure
from stephost.sqlite_file import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    step TEXT NOT NULL,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    data TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    emitted_by TEXT NOT NULL,
    group_id TEXT,
    attempt INTEGER NOT NULL DEFAULT 1,
    available_at REAL NOT NULL,
    running INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_at REAL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (step, running, available_at, id);
CREATE INDEX IF NOT EXISTS deliveries_group ON deliveries (step, group_id, id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY,
    step TEXT NOT NULL,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    data TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    emitted_by TEXT NOT NULL,
    group_id TEXT,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    error_stack TEXT NOT NULL
);
"""

_COLUMNS = "id, step, event_id, topic, data, trace_id, emitted_by, group_id, attempt"

# A lease that ran out puts the delivery back to waiting (same attempt) before the
# claim below, which then keeps to the (step, running, available_at, id) index.
_EXPIRE_LEASES = """
UPDATE deliveries SET running = 0
WHERE step = ? AND running = 1 AND COALESCE(claimed_at, 0) <= ?
"""

_CLAIM_STANDARD = f"""
UPDATE deliveries SET running = 1, claimed_at = ? WHERE id IN (
    SELECT id FROM deliveries
    WHERE step = ? AND running = 0 AND available_at <= ?
    ORDER BY available_at, id LIMIT ?
) RETURNING {_COLUMNS}
"""

# Only a group's oldest delivery may run, and only while none of the group runs.
_CLAIM_FIFO = f"""
UPDATE deliveries SET running = 1, claimed_at = ? WHERE id IN (
    SELECT d.id FROM deliveries d
    WHERE d.step = ? AND d.running = 0 AND d.available_at <= ?
      AND (d.group_id IS NULL OR (
            d.id = (SELECT MIN(x.id) FROM deliveries x WHERE x.step = d.step AND x.group_id = d.group_id)))
    ORDER BY d.id LIMIT ?
) RETURNING {_COLUMNS}
"""


def _delivery(row: tuple[Any, ...]) -> Delivery:
    rid, step, event_id, topic, data, trace_id, emitted_by, group_id, attempt = row
    event = Event(
        id=event_id,
        topic=topic,
        data=json_codec.loads(data),
        trace_id=trace_id,
        emitted_by=emitted_by,
        message_group_id=group_id,
    )
    return Delivery(event=event, step=step, attempt=attempt, id=str(rid))


class SqliteQueueStore:
    def __init__(self, path: Path) -> None:
        self._conn = open_database(path)
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(deliveries)")}
        if "claimed_at" not in columns:  # a file written before leases existed
            self._conn.execute("ALTER TABLE deliveries ADD COLUMN claimed_at REAL")

    async def enqueue(self, event: Event, steps: list[str], available_at: dict[str, float]) -> None:
        data = json_codec.dumps_text(event.data)
        rows = [
            (
                step,
                event.id,
                event.topic,
                data,
                event.trace_id,
                event.emitted_by,
                event.message_group_id,
                available_at[step],
            )
            for step in steps
        ]
        # atomic: every subscriber's copy or none
        await self._conn.write(
            lambda c: c.executemany(
                "INSERT INTO deliveries (step, event_id, topic, data, trace_id, emitted_by, group_id, available_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            ),
            atomic=len(rows) > 1,
        )

    async def claim(self, step: str, now: float, limit: int, fifo: bool, lease_s: float) -> list[Delivery]:
        if limit <= 0:
            return []

        def claim(c: sqlite3.Connection) -> list[Any]:
            c.execute(_EXPIRE_LEASES, (step, now - lease_s))
            return c.execute(_CLAIM_FIFO if fifo else _CLAIM_STANDARD, (now, step, now, limit)).fetchall()

        rows = await self._conn.write(claim, atomic=True)
        return sorted((_delivery(r) for r in rows), key=lambda d: int(d.id))

    async def complete(self, delivery: Delivery) -> None:
        await self._conn.write(lambda c: c.execute("DELETE FROM deliveries WHERE id = ?", (int(delivery.id),)))

    async def retry(self, delivery: Delivery, available_at: float, failure: Failure) -> None:
        await self._conn.write(
            lambda c: c.execute(
                "UPDATE deliveries SET running = 0, attempt = ?, available_at = ?, last_error = ? WHERE id = ?",
                (delivery.attempt + 1, available_at, f"{failure.code}: {failure.message}", int(delivery.id)),
            )
        )

    async def dead_letter(self, delivery: Delivery, failure: Failure, now: float) -> None:
        def move(c: sqlite3.Connection) -> None:
            moved = c.execute(
                "INSERT INTO dead_letters (id, step, event_id, topic, data, trace_id, emitted_by, group_id, attempts, "
                "failed_at, error_code, error_message, error_stack) "
                "SELECT id, step, event_id, topic, data, trace_id, emitted_by, group_id, ?, ?, ?, ?, ? "
                "FROM deliveries WHERE id = ?",
                (delivery.attempt, now, failure.code, failure.message, failure.stack, int(delivery.id)),
            ).rowcount
            if moved:
                c.execute("DELETE FROM deliveries WHERE id = ?", (int(delivery.id),))

        await self._conn.write(move, atomic=True)

    async def next_due(self, step: str) -> float | None:
        row = self._conn.execute(
            "SELECT MIN(available_at) FROM deliveries WHERE step = ? AND running = 0", (step,)
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def recover(self) -> int:
        return await self._conn.write(
            lambda c: c.execute("UPDATE deliveries SET running = 0 WHERE running = 1").rowcount
        )

    async def pending(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0])

    async def dead_letters(self) -> list[DeadLetter]:
        rows = self._conn.execute(
            "SELECT id, step, event_id, topic, data, trace_id, emitted_by, group_id, attempts, failed_at, "
            "error_code, error_message, error_stack FROM dead_letters ORDER BY failed_at, id"
        ).fetchall()
        out = []
        for r in rows:
            delivery = _delivery(r[:9])
            out.append(DeadLetter(str(r[0]), delivery, Failure(r[10], r[11], r[12]), r[8], r[9]))
        return out

    async def replay(self, dead_letter_id: str, now: float) -> bool:
        def move(c: sqlite3.Connection) -> int:
            moved = c.execute(
                "INSERT INTO deliveries (step, event_id, topic, data, trace_id, emitted_by, group_id, available_at) "
                "SELECT step, event_id, topic, data, trace_id, emitted_by, group_id, ? FROM dead_letters WHERE id = ?",
                (now, int(dead_letter_id) if dead_letter_id.isdigit() else -1),
            ).rowcount
            if moved:
                c.execute("DELETE FROM dead_letters WHERE id = ?", (int(dead_letter_id),))
            return int(moved)

        return bool(await self._conn.write(move, atomic=True))

    async def purge(self) -> int:
        return await self._conn.write(lambda c: c.execute("DELETE FROM dead_letters").rowcount)

    async def close(self) -> None:
        self._conn.close()
