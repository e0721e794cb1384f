"""What the Workbench shows live: the host's log records and each trace's events, kept in memory.

Both are bounded deques. With no Workbench page open, recording a log line or a trace event
is one `deque.append`; the JSON for the page is only built for connected clients or when a
page asks. A client that falls behind loses messages rather than slowing the host.

An open page costs the api as little as it can: it gets the trace events of the one trace it
watches (it says which), and a live log tail capped per page: each LIVE_LOG_WINDOW_S, the newest
LIVE_LOG_LINES lines, after a `{"type": "skipped", "logs": N}` marker counting the older ones
left out. The buffers and the JSON API keep every line either way.
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
# A person reads far less than this; a busy api logs thousands of lines a second.
LIVE_LOG_LINES = 20
LIVE_LOG_WINDOW_S = 0.1


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
    """One connected page: a bounded queue of messages its socket writer sends in order.

    `watching` is the trace id whose events the page wants (None: no trace). Log lines are held
    for one window and then sent, at most `log_lines` of them: the newest, like `tail`, after a
    marker counting the older ones left out.
    """

    def __init__(
        self,
        max_pending: int = CLIENT_MAX_PENDING,
        log_lines: int = LIVE_LOG_LINES,
        log_window_s: float = LIVE_LOG_WINDOW_S,
    ) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(max_pending)
        self.dropped = 0
        self.watching: str | None = None
        self._log_window_s = log_window_s
        self._held: deque[LogRecord] = deque(maxlen=log_lines)
        self._skipped = 0
        self._flush_timer: asyncio.TimerHandle | None = None

    def offer(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1

    def offer_log(self, record: LogRecord) -> None:
        """Hold `record` for the live tail; the window's newest `log_lines` lines are sent when it ends."""
        if len(self._held) == self._held.maxlen:
            self._skipped += 1  # the oldest held line falls out
        self._held.append(record)
        if self._flush_timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop to wait on (a caller outside the host): send now
                self.flush_logs()
                return
            self._flush_timer = loop.call_later(self._log_window_s, self.flush_logs)

    def flush_logs(self) -> None:
        self._flush_timer = None
        if self._skipped:
            self.offer({"type": "skipped", "logs": self._skipped})
            self._skipped = 0
        for record in self._held:
            self.offer({"type": "log", "record": log_json(record)})
        self._held.clear()

    def close(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None


class WorkbenchRecorder:
    """The log ring buffer, the trace event buffer and the connected pages."""

    def __init__(self, log_capacity: int = LOG_CAPACITY, trace_capacity: int = TRACE_EVENT_CAPACITY) -> None:
        self.logs: deque[LogRecord] = deque(maxlen=log_capacity)
        self.trace_events: deque[dict[str, Any]] = deque(maxlen=trace_capacity)
        self.clients: set[WorkbenchClient] = set()
        self._watchers: dict[str, set[WorkbenchClient]] = {}

    def tee(self, sink: LogSink) -> LogSink:
        """A sink that writes to `sink` and keeps the record for the Workbench."""

        def both(record: LogRecord) -> None:
            sink(record)
            self.record_log(record)

        return both

    def record_log(self, record: LogRecord) -> None:
        self.logs.append(record)
        for client in self.clients:
            client.offer_log(record)

    def record(self, kind: str, trace_id: str, step: str, **data: Any) -> None:
        """One thing that happened in trace `trace_id` (an invocation, an emit, a state or stream call)."""
        event = {"kind": kind, "traceId": trace_id, "step": step, "time": int(time.time() * 1000), **data}
        self.trace_events.append(event)
        watchers = self._watchers.get(trace_id)
        if watchers:
            message = {"type": "trace", "event": event}
            for client in watchers:
                client.offer(message)

    def watch(self, client: WorkbenchClient, trace_id: str | None) -> None:
        """From now on `client` gets the events of `trace_id` only (None: of no trace)."""
        self._unwatch(client)
        client.watching = trace_id
        if trace_id is not None:
            self._watchers.setdefault(trace_id, set()).add(client)

    def _unwatch(self, client: WorkbenchClient) -> None:
        if client.watching is None:
            return
        watchers = self._watchers.get(client.watching)
        if watchers is not None:
            watchers.discard(client)
            if not watchers:
                del self._watchers[client.watching]
        client.watching = None

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
        self._unwatch(client)
        client.close()
        self.clients.discard(client)

    def close_clients(self) -> None:
        """Ask every connected page's socket to close (the host is stopping)."""
        for client in list(self.clients):
            with contextlib.suppress(asyncio.QueueFull):
                client.queue.put_nowait({"type": "close"})


def invocation_outcome(error: BaseException | None) -> dict[str, Any]:
    """How an invocation ended, for its trace event: ok, or the error's code and message."""
    if error is None:
        return {"outcome": "ok"}
    code = getattr(error, "code", type(error).__name__)
    message = getattr(error, "message", str(error))
    return {"outcome": "error", "error": {"code": code, "message": message}}
