"""SQLite state store: the embedded default. One file in the project, no server.

WAL mode with synchronous=NORMAL: a committed write survives the host process
dying (the durability stephost promises); only a power cut can lose the last
transactions. Calls run inline on the event loop: each is one indexed statement,
far cheaper than a hop to a thread; writes return once their group is committed
(`stephost.sqlite_file`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stephost import json_codec
from stephost.sqlite_file import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order for get_group
    grp TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (grp, key)
);
"""


class SqliteStateStore:
    def __init__(self, path: Path) -> None:
        self._conn = open_database(path)
        self._conn.executescript(_SCHEMA)

    async def get(self, group: str, key: str) -> Any | None:
        row = self._conn.execute("SELECT value FROM state WHERE grp = ? AND key = ?", (group, key)).fetchone()
        return json_codec.loads(row[0]) if row else None

    async def set(self, group: str, key: str, value: Any) -> Any:
        encoded = json_codec.dumps_text(value)
        await self._conn.write(
            lambda c: c.execute(
                "INSERT INTO state (grp, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (grp, key) DO UPDATE SET value = excluded.value",
                (group, key, encoded),
            )
        )
        return value

    async def delete(self, group: str, key: str) -> Any | None:
        row = await self._conn.write(
            lambda c: c.execute("DELETE FROM state WHERE grp = ? AND key = ? RETURNING value", (group, key)).fetchone()
        )
        return json_codec.loads(row[0]) if row else None

    async def get_group(self, group: str) -> list[Any]:
        rows = self._conn.execute("SELECT value FROM state WHERE grp = ? ORDER BY id", (group,)).fetchall()
        return [json_codec.loads(r[0]) for r in rows]

    async def items(self, group: str) -> list[tuple[str, Any]]:
        rows = self._conn.execute("SELECT key, value FROM state WHERE grp = ? ORDER BY id", (group,)).fetchall()
        return [(r[0], json_codec.loads(r[1])) for r in rows]

    async def groups(self) -> list[str]:
        # The UNIQUE (grp, key) index serves this; BINARY order on UTF-8 is code point order, as sorted() gives.
        return [r[0] for r in self._conn.execute("SELECT DISTINCT grp FROM state ORDER BY grp")]

    async def clear(self, group: str) -> None:
        await self._conn.write(lambda c: c.execute("DELETE FROM state WHERE grp = ?", (group,)))

    async def close(self) -> None:
        self._conn.close()
