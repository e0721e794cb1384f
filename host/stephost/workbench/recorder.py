"""What the Workbench shows live: the host's log records and each trace's events, kept in memory.

Both are bounded deques. With no Workbench page open, recording a log line or a trace event
is one `deque.append`; the JSON for the page is only built for connected clients or when a
page asks. A client that falls behind loses messages rather than slowing the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

from stephost.types import LogRecord, LogSink

LOG_CAPACITY = 2000
TRACE_EVENT_CAPACITY = 20000
CLIENT_MAX_PENDING = 1000


def log_json(record: LogRecord) -> dict[str, Any]:
    return {
        "level": record.level,
        "time": record.time_ms,
        "msg": record.msg,
        "step": record.step,
        "traceId": record.trace_id,
        "flows": list(record.flows),
        "fields": record.fields,
    }


class WorkbenchClient:
    """One connected page: a bounded queue of messages its socket writer sends in order."""

    def __init__(self, max_pending: int = CLIENT_MAX_PENDING) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(max_pending)
        self.dropped = 0

    def offer(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1


class WorkbenchRecorder:
    """The log ring buffer, the trace event buffer and the connected pages."""

    def __init__(self, log_capacity: int = LOG_CAPACITY, trace_capacity: int = TRACE_EVENT_CAPACITY) -> None:
        self.logs: deque[LogRecord] = deque(maxlen=log_capacity)
        self.trace_events: deque[dict[str, Any]] = deque(maxlen=trace_capacity)
        self.clients: set[WorkbenchClient] = set()

    def tee(self, sink: LogSink) -> LogSink:
        """A sink that writes to `sink` and keeps the record for the Workbench."""

        def both(record: LogRecord) -> None:
            sink(record)
            self.record_log(record)

        return both

    def record_log(self, record: LogRecord) -> None:
        self.logs.append(record)
        if self.clients:
            self._broadcast({"type": "log", "record": log_json(record)})

    def record(self, kind: str, trace_id: str, step: str, **data: Any) -> None:
        """One thing that happened in trace `trace_id` (an invocation, an emit, a state or stream call)."""
        event = {"kind": kind, "traceId": trace_id, "step": step, "time": int(time.time() * 1000), **data}
        self.trace_events.append(event)
        if self.clients:
            self._broadcast({"type": "trace", "event": event})

    def trace(self, trace_id: str) -> dict[str, Any]:
        """Everything kept about one trace, oldest first.

        An invocation is recorded when it ends, so it is placed by its start.
        """
        events = sorted(
            (e for e in self.trace_events if e["traceId"] == trace_id), key=lambda e: e.get("start", e["time"])
        )
        logs = [log_json(r) for r in self.logs if r.trace_id == trace_id]
        steps = sorted({e["step"] for e in events} | {r["step"] for r in logs})
        return {"traceId": trace_id, "steps": steps, "events": events, "logs": logs}

    def recent_traces(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest traces with an invocation, newest first: id, first step, start, count of events."""
        seen: dict[str, dict[str, Any]] = {}
        for event in self.trace_events:
            entry = seen.get(event["traceId"])
            if entry is None:
                entry = seen[event["traceId"]] = {"traceId": event["traceId"], "step": event["step"], "events": 0}
                entry["start"] = event.get("start", event["time"])
            entry["events"] += 1
        return list(reversed(list(seen.values())))[:limit]

    def connect(self) -> WorkbenchClient:
        client = WorkbenchClient()
        self.clients.add(client)
        return client

    def drop(self, client: WorkbenchClient) -> None:
        self.clients.discard(client)

    def close_clients(self) -> None:
        """Ask every connected page's socket to close (the host is stopping)."""
        for client in list(self.clients):
            with contextlib.suppress(asyncio.QueueFull):
                client.queue.put_nowait({"type": "close"})

    def _broadcast(self, message: dict[str, Any]) -> None:
        for client in list(self.clients):
            client.offer(message)


def invocation_outcome(error: BaseException | None) -> dict[str, Any]:
    """How an invocation ended, for its trace event: ok, or the error's code and message."""
    if error is None:
        return {"outcome": "ok"}
    code = getattr(error, "code", type(error).__name__)
    message = getattr(error, "message", str(error))
    return {"outcome": "error", "error": {"code": code, "message": message}}
