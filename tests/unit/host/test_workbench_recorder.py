"""What the Workbench recorder sends to each connected page: the watched trace only, a capped log tail."""

from __future__ import annotations

import asyncio
from typing import Any

from stephost.types import LogRecord
from stephost.workbench.recorder import WorkbenchClient, WorkbenchRecorder


def line(n: int, trace_id: str = "t1") -> LogRecord:
    return LogRecord(level="info", msg=f"line {n}", step="S", time_ms=n, trace_id=trace_id)


def drain(client: WorkbenchClient) -> list[dict[str, Any]]:
    out = []
    while not client.queue.empty():
        out.append(client.queue.get_nowait())
    return out


def test_a_page_gets_the_events_of_the_trace_it_watches_and_no_other() -> None:
    recorder = WorkbenchRecorder()
    a, b = recorder.connect(), recorder.connect()
    recorder.watch(a, "t1")
    recorder.record("emit", "t1", "S", topic="x", subscribers=[])
    recorder.record("emit", "t2", "S", topic="y", subscribers=[])
    assert [m["event"]["topic"] for m in drain(a)] == ["x"]
    assert drain(b) == []
    recorder.watch(a, "t2")  # a page opening another trace stops getting the first one's
    recorder.record("emit", "t1", "S", topic="z", subscribers=[])
    recorder.record("emit", "t2", "S", topic="w", subscribers=[])
    assert [m["event"]["topic"] for m in drain(a)] == ["w"]
    recorder.watch(a, None)
    recorder.record("emit", "t2", "S", topic="v", subscribers=[])
    assert drain(a) == []
    # every event is still kept for the API
    assert [e["topic"] for e in recorder.trace("t2")["events"]] == ["y", "w", "v"]


def test_a_page_that_leaves_stops_being_a_watcher() -> None:
    recorder = WorkbenchRecorder()
    a = recorder.connect()
    recorder.watch(a, "t1")
    recorder.drop(a)
    recorder.record("emit", "t1", "S", topic="x", subscribers=[])
    assert drain(a) == []
    assert not recorder.clients


def test_the_live_tail_sends_each_windows_newest_lines_after_a_count_of_the_older_ones() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        recorder = WorkbenchRecorder()
        client = WorkbenchClient(log_lines=3, log_window_s=0.1)
        recorder.clients.add(client)
        for n in range(10):
            recorder.record_log(line(n))
        during = drain(client)  # lines wait for the window's end
        await asyncio.sleep(0.2)
        first = drain(client)
        for n in range(10, 12):
            recorder.record_log(line(n))
        await asyncio.sleep(0.2)
        return during, first, drain(client)

    during, first, second = asyncio.run(scenario())
    assert during == []
    assert first[0] == {"type": "skipped", "logs": 7}
    assert [m["record"]["msg"] for m in first[1:]] == ["line 7", "line 8", "line 9"]
    assert [m["record"]["msg"] for m in second] == ["line 10", "line 11"]  # under the cap: no marker


def test_with_no_running_loop_lines_are_sent_at_once() -> None:
    recorder = WorkbenchRecorder()
    client = WorkbenchClient(log_lines=2)
    recorder.clients.add(client)
    for n in range(3):
        recorder.record_log(line(n))
    assert [m["record"]["msg"] for m in drain(client)] == ["line 0", "line 1", "line 2"]


def test_each_page_has_its_own_tail_and_the_buffer_keeps_every_line() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        recorder = WorkbenchRecorder()
        small = WorkbenchClient(log_lines=1, log_window_s=0.05)
        large = WorkbenchClient(log_lines=100, log_window_s=0.05)
        recorder.clients |= {small, large}
        for n in range(5):
            recorder.record_log(line(n))
        await asyncio.sleep(0.1)
        assert len(recorder.logs) == 5
        return drain(small), drain(large)

    small, large = asyncio.run(scenario())
    assert small == [{"type": "skipped", "logs": 4}, {"type": "log", "record": small[1]["record"]}]
    assert small[1]["record"]["msg"] == "line 4"
    assert len(large) == 5


def test_a_page_that_leaves_with_lines_held_gets_nothing_more() -> None:
    async def scenario() -> list[dict[str, Any]]:
        recorder = WorkbenchRecorder()
        client = recorder.connect()
        recorder.record_log(line(1))
        recorder.drop(client)
        await asyncio.sleep(0.2)
        return drain(client)

    assert asyncio.run(scenario()) == []
