"""The host's SQLite files: WAL checkpoints come from a background thread, not from a write."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from stephost.sqlite_file import SAFETY_AUTOCHECKPOINT_PAGES, HostConnection, open_database


def wal_frames_waiting(path: Path) -> tuple[int, int]:
    """(frames in the WAL, frames of them already copied back), read by another connection."""
    with sqlite3.connect(path) as other:
        _, log_frames, checkpointed = other.execute("PRAGMA wal_checkpoint(NOOP)").fetchone() or (0, 0, 0)
    return log_frames, checkpointed


def test_writes_never_checkpoint_but_the_thread_does(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = open_database(path)
    try:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == SAFETY_AUTOCHECKPOINT_PAGES
        conn.execute("CREATE TABLE t (v TEXT)")
        before = conn.checkpoints
        for n in range(2000):  # over the default autocheckpoint of 1000 pages
            conn.execute("INSERT INTO t VALUES (?)", ("x" * 3000 + str(n),))
        deadline = time.monotonic() + 10
        while conn.checkpoints == before:
            assert time.monotonic() < deadline, "the checkpoint thread never ran"
            time.sleep(0.05)
        log_frames, checkpointed = wal_frames_waiting(path)
        assert 0 < checkpointed <= log_frames  # the thread copied the WAL back
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2000
    finally:
        conn.close()


def test_close_stops_the_checkpoint_thread(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "db.sqlite3")
    assert isinstance(conn, HostConnection)
    assert any(t.name == "checkpoint:db.sqlite3" for t in threading.enumerate())
    conn.close()
    assert not any(t.name == "checkpoint:db.sqlite3" for t in threading.enumerate())
