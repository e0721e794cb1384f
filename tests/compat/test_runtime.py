"""Blocking sync handlers, captured print/console output, flows and noop steps, on the `runtime` project.

runtime is a CommonJS-style project: a plain `def` Python handler that sleeps
(through `from src.services.work import crunch`, a regular package), talkers in
Python, TypeScript and JavaScript that print and log, and noop steps in TS and
Python with virtualEmits/virtualSubscribes.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stephost.testing import HostProcess
from tests.compat.helpers import HostFactory, records, wait_for_record

SLEEP_MS = 1000
TALKERS = {"py": "PyTalk", "ts": "TsTalk", "js": "JsTalk"}
PRINTED = {"py": "print from python", "ts": "console.log from ts", "js": "console.log from js"}
LAST_WORDS = {"py": "last words from python", "ts": "last words from ts", "js": "last words from js"}
STDERR = {"py": "stderr from python", "ts": "console.error from ts", "js": "console.error from js"}


@pytest.fixture(scope="module")
def runtime(compat_host: HostFactory) -> Iterator[HostProcess]:
    with compat_host("runtime", mode="start") as host:
        yield host


def test_a_blocking_sync_python_handler_does_not_stall_concurrent_requests(runtime: HostProcess) -> None:
    def slow(tag: str) -> dict[str, Any]:
        r = httpx.get(runtime.url + "/slow", params={"ms": str(SLEEP_MS), "tag": tag}, timeout=30)
        assert r.status_code == 200, r.text
        return dict(r.json())

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        started = time.monotonic()
        slow_ones = [pool.submit(slow, f"slow-{i}") for i in range(4)]
        time.sleep(0.2)  # the four are sleeping in the worker now
        fast_started = time.monotonic()
        fast = httpx.get(runtime.url + "/slow", params={"ms": "0", "tag": "fast"}, timeout=30)
        fast_took = time.monotonic() - fast_started
        results = [f.result() for f in slow_ones]
        total = time.monotonic() - started

    assert fast.status_code == 200
    # stuck behind a sleeping one, it would have taken at least 0.8 s
    assert fast_took < 0.7 * SLEEP_MS / 1000, f"a fast request waited {fast_took:.2f} s behind blocking ones"
    # four 1 s sleeps, one after the other, would take 4 s
    assert total < 2.5 * SLEEP_MS / 1000, f"4 concurrent blocking requests took {total:.2f} s"
    assert sorted(r["tag"] for r in results) == ["slow-0", "slow-1", "slow-2", "slow-3"]
    # they overlapped: each started before any of the others finished
    assert max(r["started"] for r in results) < min(r["finished"] for r in results)


@pytest.mark.parametrize("lang", ["py", "ts", "js"])
def test_print_and_console_log_are_captured_with_the_step_name(runtime: HostProcess, lang: str) -> None:
    r = httpx.get(runtime.url + f"/{lang}/talk")
    assert r.status_code == 200, r.text
    trace_id = r.headers["x-trace-id"]
    out = wait_for_record(runtime, f"{PRINTED[lang]} {trace_id}")
    assert out["step"] == TALKERS[lang]
    assert out["level"] == "info"
    err = wait_for_record(runtime, f"{STDERR[lang]} {trace_id}")
    assert err["step"] == TALKERS[lang]
    assert err["level"] in ("warn", "error")
    logged = wait_for_record(runtime, f"logger from {lang}", traceId=trace_id)
    assert logged["step"] == TALKERS[lang]
    assert logged["lang"] == lang


@pytest.mark.parametrize("lang", ["py", "ts", "js"])
def test_output_printed_right_before_a_step_raises_is_not_lost(runtime: HostProcess, lang: str) -> None:
    r = httpx.get(runtime.url + f"/{lang}/talk", params={"fail": "1"})
    assert r.status_code == 500
    trace_id = r.headers["x-trace-id"]
    assert r.json() == {"error": "Internal server error", "traceId": trace_id}
    last_words = wait_for_record(runtime, f"{LAST_WORDS[lang]} {trace_id}")
    assert last_words["step"] == TALKERS[lang]
    failure = wait_for_record(runtime, "talker failed", traceId=trace_id, level="error")
    assert failure["step"] == TALKERS[lang]


@pytest.mark.parametrize("lang", ["py", "ts", "js"])
def test_log_records_of_a_step_carry_its_flows(runtime: HostProcess, lang: str) -> None:
    r = httpx.get(runtime.url + f"/{lang}/talk")
    trace_id = r.headers["x-trace-id"]
    assert wait_for_record(runtime, f"logger from {lang}", traceId=trace_id)["flows"] == ["talk"]
    assert wait_for_record(runtime, f"{PRINTED[lang]} {trace_id}")["flows"] == ["talk"]


@pytest.mark.parametrize("lang", ["py", "ts", "js"])
def test_the_error_record_of_a_failing_step_carries_its_flows(runtime: HostProcess, lang: str) -> None:
    r = httpx.get(runtime.url + f"/{lang}/talk", params={"fail": "1"})
    record = wait_for_record(runtime, "talker failed", traceId=r.headers["x-trace-id"], level="error")
    assert record["flows"] == ["talk"]


def test_noop_steps_in_typescript_and_python_are_accepted_and_never_run(runtime: HostProcess) -> None:
    with httpx.Client() as client:
        workers = {w["step"]: w for w in client.get(runtime.url + "/__stephost/workers").json()["workers"]}
        published = client.post(runtime.url + "/reports")
    for noop in ("ManualReview", "ArchiveReport"):
        assert workers[noop]["pid"] is None
    assert published.status_code == 202
    assert published.json() == {"queued": published.headers["x-trace-id"]}
    assert not records(runtime, step="ManualReview")
    assert not records(runtime, step="ArchiveReport")
