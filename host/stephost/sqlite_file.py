"""One SQLite database file as the host uses it: WAL, synchronous=NORMAL, and checkpoints
done by a thread of its own instead of inside a write on the event loop.

SQLite copies the WAL back into the database (a checkpoint) from within whichever commit
crosses `wal_autocheckpoint` pages: every thousandth write on the event loop paid for the
last thousand, a third of the cost of a state.set under load. A thread with its own
connection runs a PASSIVE checkpoint every CHECKPOINT_INTERVAL_S instead (sqlite3 releases
the GIL while it works, so it runs on another core); it never blocks writers. The
connection keeps a high autocheckpoint as a safety net, should the thread fall behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("stephost.sqlite")

CHECKPOINT_INTERVAL_S = 1.0
SAFETY_AUTOCHECKPOINT_PAGES = 20000  # ~80 MiB of WAL before a commit checkpoints itself
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024  # what the WAL file is cut back to after a reset


class HostConnection(sqlite3.Connection):
    """A connection for the event loop whose WAL is checkpointed by a background thread;
    `close()` stops the thread first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checkpoints = 0  # done by the thread (tests look)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_checkpoints(self, path: Path, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        self._thread = threading.Thread(
            target=self._checkpoint_loop, args=(path, interval_s), name=f"checkpoint:{path.name}", daemon=True
        )
        self._thread.start()

    def _checkpoint_loop(self, path: Path, interval_s: float) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            while not self._stop.wait(interval_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # e.g. the file went away: the safety net still holds
                    log.warning("could not checkpoint %s: %s", path, exc)
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        super().close()


def open_database(path: Path) -> HostConnection:
    """A connection tuned for the host: WAL, NORMAL sync, autocommit, background checkpoints."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=HostConnection)
    assert isinstance(conn, HostConnection)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT_PAGES}")
    conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT_BYTES}")
    conn.start_checkpoints(path)
    return conn
