"""SQLite stream store: the embedded default, beside state in the data dir."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from stephost import json_codec
from stephost.sqlite_file import open_database
from stephost.streams.base import as_item

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stream_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order for get_group
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    id TEXT NOT NULL,
    item TEXT NOT NULL,
    UNIQUE (stream, grp, id)
);
"""


class SqliteStreamStore:
    def __init__(self, path: Path) -> None:
        self._conn = open_database(path)
        self._conn.executescript(_SCHEMA)

    async def get(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT item FROM stream_items WHERE stream = ? AND grp = ? AND id = ?", (stream, group, item_id)
        ).fetchone()
        return json_codec.loads(row[0]) if row else None

    async def set(self, stream: str, group: str, item_id: str, data: Any) -> tuple[dict[str, Any], bool]:
        item = as_item(item_id, data)
        encoded = json_codec.dumps_text(item)

        def upsert(c: sqlite3.Connection) -> int:
            updated = c.execute(
                "UPDATE stream_items SET item = ? WHERE stream = ? AND grp = ? AND id = ?",
                (encoded, stream, group, item_id),
            ).rowcount
            if not updated:
                c.execute(
                    "INSERT INTO stream_items (stream, grp, id, item) VALUES (?, ?, ?, ?)",
                    (stream, group, item_id, encoded),
                )
            return int(updated)

        updated = await self._conn.write(upsert, atomic=True)
        return item, not updated

    async def delete(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        row = await self._conn.write(
            lambda c: c.execute(
                "DELETE FROM stream_items WHERE stream = ? AND grp = ? AND id = ? RETURNING item",
                (stream, group, item_id),
            ).fetchone()
        )
        return json_codec.loads(row[0]) if row else None

    async def get_group(self, stream: str, group: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT item FROM stream_items WHERE stream = ? AND grp = ? ORDER BY seq", (stream, group)
        ).fetchall()
        return [json_codec.loads(r[0]) for r in rows]

    async def close(self) -> None:
        self._conn.close()
