"""The host's SQLite files: WAL checkpoints come from a background thread, not from a write."""

from __future__ import annotations

import asyncio
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


def committed_rows(path: Path) -> list[str]:
    """What another connection sees: only committed rows."""
    with sqlite3.connect(path) as other:
        return [r[0] for r in other.execute("SELECT v FROM t ORDER BY rowid")]


def test_writes_of_one_loop_turn_share_one_commit_and_return_only_once_it_is_done(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = open_database(path)
    conn.execute("CREATE TABLE t (v TEXT)")
    seen_by_others_on_return: list[list[str]] = []

    async def insert(v: str) -> None:
        await conn.write(lambda c: c.execute("INSERT INTO t VALUES (?)", (v,)))
        seen_by_others_on_return.append(committed_rows(path))

    async def scenario() -> None:
        await asyncio.gather(*(insert(str(n)) for n in range(50)))
        await insert("later")

    try:
        asyncio.run(scenario())
        assert conn.commits == 2  # fifty writes in one turn, then one more
        # no caller heard "done" before its row was committed
        assert all(len(rows) >= 50 for rows in seen_by_others_on_return)
        assert committed_rows(path) == [str(n) for n in range(50)] + ["later"]
    finally:
        conn.close()


def test_a_failed_atomic_write_undoes_only_its_own_statements(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = open_database(path)
    conn.execute("CREATE TABLE t (v TEXT UNIQUE)")

    def two_then_clash(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES ('b1')")
        c.execute("INSERT INTO t VALUES ('a')")  # already written by the first caller: fails

    async def scenario() -> list[BaseException | None]:
        results = await asyncio.gather(
            conn.write(lambda c: c.execute("INSERT INTO t VALUES ('a')")),
            conn.write(two_then_clash, atomic=True),
            conn.write(lambda c: c.execute("INSERT INTO t VALUES ('c')")),
            return_exceptions=True,
        )
        return [r if isinstance(r, BaseException) else None for r in results]

    try:
        first, second, third = asyncio.run(scenario())
        assert first is None and third is None
        assert isinstance(second, sqlite3.IntegrityError)
        assert committed_rows(path) == ["a", "c"]  # no 'b1'
    finally:
        conn.close()


def test_a_cancelled_writer_does_not_cancel_the_others_and_its_write_still_commits(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = open_database(path)
    conn.execute("CREATE TABLE t (v TEXT)")

    async def scenario() -> bool:
        first = asyncio.ensure_future(conn.write(lambda c: c.execute("INSERT INTO t VALUES ('x')")))
        second = asyncio.ensure_future(conn.write(lambda c: c.execute("INSERT INTO t VALUES ('y')")))
        await asyncio.sleep(0)  # both have run their statement and wait for the commit
        first.cancel()
        await second
        return first.cancelled()

    try:
        assert asyncio.run(scenario())
        assert committed_rows(path) == ["x", "y"]
    finally:
        conn.close()


def test_close_commits_a_group_still_open(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = open_database(path)
    conn.execute("CREATE TABLE t (v TEXT)")

    async def scenario() -> None:
        writer = asyncio.ensure_future(conn.write(lambda c: c.execute("INSERT INTO t VALUES ('x')")))
        await asyncio.sleep(0)
        conn.close()  # before the turn that would commit
        await writer

    asyncio.run(scenario())
    assert committed_rows(path) == ["x"]
