"""An unhealthy step's events wait in the queue, spending no attempts, and run once it recovers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from stephost.testing import HostProcess, wait_for

PROJECT = Path(__file__).parent / "projects" / "unhealthy"


def worker_state(host: HostProcess, step: str) -> str:
    status = subprocess.run(
        [sys.executable, "-m", "stephost.cli", "status", "--port", str(host.port), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return str({w["step"]: w for w in json.loads(status.stdout)}[step]["state"])


def dead_letters(host: HostProcess) -> list[object]:
    """The host's dead letters, through the dlq command as an operator would look."""
    listed = subprocess.run(
        [sys.executable, "-m", "stephost.cli", "dlq", "list", "--json", "--data-dir", str(host.data_dir)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return list(json.loads(listed.stdout))


def test_events_for_an_unhealthy_step_wait_without_using_attempts_and_run_when_it_recovers(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    with HostProcess(project, extra_args=["--log-format", "json"]) as host:
        (project / "crash.flag").write_text("crash at start")
        os.kill(host.worker_pids()["Worker"], signal.SIGKILL)
        wait_for(lambda: worker_state(host, "Worker") == "unhealthy", timeout_s=30)

        r = httpx.post(host.url + "/enqueue", json={"count": 20}, timeout=30)
        assert r.status_code == 202  # the emitting step is healthy: the events are accepted

        def deferred() -> list[tuple[int, str]] | None:
            # Read the embedded store itself: every delivery was tried, found its step unhealthy
            # and put back as not tried (attempt 1), with the reason kept.
            with sqlite3.connect(host.data_dir / "events.sqlite3") as db:
                rows = db.execute("SELECT attempt, last_error FROM deliveries WHERE step = 'Worker'").fetchall()
            return rows if len(rows) == 20 and all(r[1] for r in rows) else None

        rows = wait_for(deferred, timeout_s=30)
        assert {attempt for attempt, _ in rows} == {1}
        assert all("DEFERRED" in error and "unhealthy" in error for _, error in rows), rows[0]
        assert httpx.get(host.url + "/handled", timeout=30).json() == []
        assert dead_letters(host) == []  # maxRetries 0: a spent attempt would be a dead letter now

        (project / "crash.flag").unlink()
        handled = wait_for(
            lambda: (h := httpx.get(host.url + "/handled", timeout=30).json()) and len(h) == 20 and h, timeout_s=60
        )
        assert [h["n"] for h in handled] == list(range(20))
        assert dead_letters(host) == []
