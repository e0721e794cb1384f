"""One SQLite database file as the host uses it: WAL, synchronous=NORMAL, writes committed
in groups, and checkpoints done by a thread of its own instead of inside a write on the event loop.

Group commit: a commit costs more than the statement it ends (the WAL frames, the wal-index,
the lock), and under load many writes happen in one turn of the event loop (the ctx calls of
one batch of worker messages, the completions of a batch of events). `write()` runs its
statements at once inside the turn's transaction and returns once that transaction is
committed, at the start of the next turn: one commit for all of them, and no caller hears
"done" before its write is durable.

SQLite copies the WAL back into the database (a checkpoint) from within whichever commit
crosses `wal_autocheckpoint` pages: every thousandth write on the event loop paid for the
last thousand, a third of the cost of a state.set under load. A thread with its own
connection runs a PASSIVE checkpoint every CHECKPOINT_INTERVAL_S instead (sqlite3 releases
the GIL while it works, so it runs on another core); it never blocks writers. The
connection keeps a high autocheckpoint as a safety net, should the thread fall behind.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

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
        self.commits = 0  # group commits done (tests look)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiters: list[asyncio.Future[None]] | None = None  # set while a group transaction is open

    async def write(self, work: Callable[[sqlite3.Connection], T], *, atomic: bool = False) -> T:
        """Run `work` (its statements) in this turn's transaction; return its result once committed.

        `atomic`: `work` runs several statements that must hold together; a failure rolls back
        all of them (a savepoint) and only them. A single statement is atomic by itself.
        """
        loop = asyncio.get_running_loop()
        if self._waiters is None:
            self.execute("BEGIN")
            self._waiters = []
            loop.call_soon(self._commit_group)
        if atomic:
            self.execute("SAVEPOINT op")
            try:
                result = work(self)
            except BaseException:
                self.execute("ROLLBACK TO op")
                self.execute("RELEASE op")
                raise
            self.execute("RELEASE op")
        else:
            result = work(self)
        # Each caller waits on a future of its own: one cancelled caller must not cancel the others.
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        await waiter
        return result

    def _commit_group(self) -> None:
        if self._waiters is None:  # already committed by close()
            return
        waiters, self._waiters = self._waiters, None
        try:
            self.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("could not commit %d write(s): %s", len(waiters), exc)
            if self.in_transaction:
                try:
                    self.execute("ROLLBACK")
                except sqlite3.Error as rollback_exc:
                    log.error("could not roll back: %s", rollback_exc)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        self.commits += 1
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

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
        if self._waiters is not None:  # a group still open: its writes were made, commit them
            self._commit_group()
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
