"""Events on the durable embedded default: retries, dead letters, FIFO, crashes, a killed host."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost.testing import HostProcess, wait_for

PROJECT = Path(__file__).parent / "projects" / "reliable"


def post_jobs(host: HostProcess, jobs: list[dict[str, Any]]) -> None:
    r = httpx.post(host.url + "/jobs", json={"jobs": jobs})
    assert r.status_code == 202, r.text


def results(host: HostProcess, group: str) -> list[Any]:
    body: list[Any] = httpx.get(host.url + f"/results/{group}").json()
    return body


@pytest.fixture(scope="module")
def host() -> Iterator[HostProcess]:
    with HostProcess(PROJECT, extra_args=["--log-format", "json", "--enable-admin-api"]) as h:
        yield h


def test_a_failing_event_is_retried_with_a_stable_event_id_until_it_succeeds(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "flaky", "data": {"id": "f1"}}])
    (done,) = wait_for(lambda: results(host, "flaky"))
    assert done["attempt"] == 3
    attempts = results(host, "flaky-attempts")
    assert len(attempts) == 3
    assert set(attempts) == {done["eventId"]}


def test_an_event_that_always_fails_is_dead_lettered_with_its_error_and_trace(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "doomed", "data": {"id": "d1"}}])

    def letters() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(host.url + "/__stephost/dlq").json()["deadLetters"]
        return [d for d in found if d["step"] == "Doomed"]

    (letter,) = wait_for(letters)
    assert letter["attempts"] == 2  # maxRetries 1: the first attempt and one retry
    assert letter["topic"] == "doomed"
    assert letter["error"]["code"] == "HANDLER_ERROR"
    assert "ValueError: doomed job d1 can never succeed" in letter["error"]["message"]
    full = httpx.get(host.url + f"/__stephost/dlq/{letter['id']}").json()["deadLetter"]
    assert full["data"] == {"id": "d1"}
    assert "doomed_step.py" in full["error"]["stack"]
    logged = [r for r in host.log_records() if "moved to the dead-letter queue" in r.get("msg", "")]
    assert logged and logged[0]["traceId"] == letter["traceId"]


def test_the_dlq_command_lists_shows_replays_and_purges(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "doomed", "data": {"id": "cli"}}])

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "stephost.cli", "dlq", *args, "--data-dir", str(host.data_dir)],
            capture_output=True,
            text=True,
            timeout=30,
        )

    def cli_letters() -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = json.loads(cli("list", "--json").stdout)
        return [d for d in listed if d["step"] == "Doomed"]

    letter = wait_for(cli_letters)[0]
    table = cli("list").stdout
    assert "Doomed" in table and "HANDLER_ERROR" in table
    shown = json.loads(cli("show", letter["id"]).stdout)
    assert shown["data"]["id"] in {"cli", "d1"}
    assert cli("show", "999999").returncode == 1

    replayed = cli("replay", "--all")
    assert replayed.returncode == 0 and "replayed" in replayed.stdout
    # the running host picks the replayed events up and they fail again into the DLQ
    wait_for(lambda: len(cli_letters()) >= 1 and all(d["attempts"] == 2 for d in cli_letters()))
    assert "purged" in cli("purge").stdout
    assert cli_letters() == []


def test_a_worker_that_crashes_mid_event_fails_the_attempt_and_the_retry_succeeds(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "crashy", "data": {"id": "c1"}}])
    (done,) = wait_for(lambda: results(host, "crashy"))
    assert done == {"attempt": 2}


def test_fifo_groups_keep_emit_order_even_when_an_event_fails_and_is_retried(host: HostProcess) -> None:
    jobs = []
    for n in range(1, 7):
        jobs.append({"topic": "ordered", "group": "a", "data": {"group": "a", "n": n, "failOnce": n == 2}})
        jobs.append({"topic": "ordered", "group": "b", "data": {"group": "b", "n": n}})
    post_jobs(host, jobs)
    final = wait_for(lambda: (r := results(host, "ordered")) and all(len(x) == 6 for x in r) and len(r) == 2 and r)
    assert sorted(final) == [[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]]


def test_events_queued_when_the_host_is_killed_are_delivered_after_a_restart(tmp_path: Path) -> None:
    ids = [f"s{n}" for n in range(8)]
    first = HostProcess(PROJECT, data_dir=tmp_path).start()
    try:
        post_jobs(first, [{"topic": "slow", "data": {"id": i}} for i in ids])
        wait_for(lambda: len(results(first, "slow")) >= 1)  # the slow queue is mid-way
    finally:
        first.kill()
    with HostProcess(PROJECT, data_dir=tmp_path, extra_args=["--log-format", "json"]) as second:
        wait_for(lambda: len(results(second, "slow")) == len(ids), timeout_s=30)
        assert any("will run again" in r.get("msg", "") for r in second.log_records())


def test_retries_wait_longer_each_time(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "timed", "data": {}}])
    times = wait_for(lambda: (r := results(host, "timed")) and len(r) == 4 and r)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # stephost.json: baseDelay 0.05, factor 2, maxDelay 0.2, jitter 0.25 -> at least 0.0375, 0.075, 0.15
    assert gaps[0] >= 0.0375 and gaps[1] >= 0.075 and gaps[2] >= 0.15, gaps


def test_delay_seconds_holds_an_event_back(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "delayed", "data": {"id": "x", "sentAt": time.time()}}])
    (ran,) = wait_for(lambda: results(host, "delayed"))
    assert ran["ranAt"] - ran["sentAt"] >= 1.0


def test_the_concurrency_limit_holds_in_a_real_worker(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "limited", "data": {"id": f"l{n}"}} for n in range(10)])
    wait_for(lambda: len(results(host, "limited")) == 10)
    assert results(host, "limited-peak") == [2]


def test_a_handler_past_its_timeout_fails_the_attempt(host: HostProcess) -> None:
    post_jobs(host, [{"topic": "sleepy", "data": {"id": "z"}}])

    def letter() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(host.url + "/__stephost/dlq").json()["deadLetters"]
        return [d for d in found if d["step"] == "Sleepy"]

    (dead,) = wait_for(letter, timeout_s=15)
    assert dead["error"]["code"] == "TIMEOUT"
    assert "did not finish within 1 s" in dead["error"]["message"]


def test_a_worker_sigkilled_during_a_handler_gets_the_event_redelivered(host: HostProcess) -> None:
    import os
    import signal

    post_jobs(host, [{"topic": "killme", "data": {"id": "k1"}}])
    wait_for(lambda: results(host, "killme-started"))
    os.kill(host.worker_pids()["KillMe"], signal.SIGKILL)
    (done,) = wait_for(lambda: results(host, "killme"))
    assert done == {"attempt": 2}


def test_a_thousand_events_survive_a_sigkilled_host_none_lost(tmp_path: Path) -> None:
    total = 1000
    first = HostProcess(PROJECT, data_dir=tmp_path).start()
    try:
        r = httpx.post(first.url + "/bulk", json={"count": total}, timeout=60)
        assert r.status_code == 202
        wait_for(lambda: len(results(first, "bulk-runs")) >= 100, timeout_s=60)
    finally:
        first.kill()
    with HostProcess(PROJECT, data_dir=tmp_path) as second:

        def handled() -> list[str]:
            return results(second, "bulk-runs")

        wait_for(lambda: len(set(handled())) == total, timeout_s=90)
        runs = handled()
        duplicates = len(runs) - total
        print(f"\n{total} events, host SIGKILLed mid-way: {total} handled, {duplicates} duplicate deliveries")
        assert len(set(runs)) == total
        assert duplicates <= 8  # at most one concurrency window re-ran
