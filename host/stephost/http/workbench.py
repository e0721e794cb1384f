"""The Workbench at /__workbench: its static page, its JSON API and its live WebSocket.

JSON: `api/flows`, `api/logs`, `api/traces`, `api/traces/<traceId>`, `api/dlq` (+ replay),
`api/workers`, `api/state` (the groups) and `api/state/<group>` (its keys and values).
WebSocket `/__workbench/ws`: first `{"type": "hello", "logs": [...]}`, then frames
`{"type": "batch", "messages": [...]}` holding `{"type": "log", "record"}` (the live tail, capped
per page), `{"type": "skipped", "logs": N}` (N lines left out of the tail there) and
`{"type": "trace", "event"}` for the trace the page watches. The page says which with
`{"type": "watch", "traceId": "..."}` (null: none); a message the host cannot use is answered
with `{"type": "error", "message"}`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quart import Quart, Response, websocket

from stephost.dlq import DeadLetterQueue, summary
from stephost.http.responses import json_response
from stephost.registry import Registry
from stephost.state.base import StateStore
from stephost.trace import new_trace_id
from stephost.workbench.flows import flow_graphs
from stephost.workbench.recorder import WorkbenchClient, WorkbenchRecorder, log_json

STATIC_DIR = Path(__file__).resolve().parent.parent / "workbench" / "static"
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
WS_PATH = "/__workbench/ws"


def _json(body: dict[str, Any]) -> Response:
    return json_response(200, body, new_trace_id())


BATCH_WINDOW_S = 0.1
MAX_BATCH = 1000


def register_workbench(
    app: Quart,
    recorder: WorkbenchRecorder,
    registry: Registry,
    dlq: DeadLetterQueue,
    status: Callable[[], list[dict[str, Any]]],
    state: StateStore | None = None,
) -> None:
    def static(name: str) -> Response:
        if name not in STATIC_FILES:
            return json_response(404, {"error": f"no workbench file {name!r}"}, new_trace_id())
        response = Response((STATIC_DIR / name).read_bytes(), status=200, content_type=STATIC_FILES[name])
        response.headers["cache-control"] = "no-cache"
        return response

    @app.get("/__workbench")
    @app.get("/__workbench/")
    async def workbench_page() -> Response:
        return static("index.html")

    @app.get("/__workbench/static/<name>")
    async def workbench_static(name: str) -> Response:
        return static(name)

    @app.get("/__workbench/api/flows")
    async def workbench_flows() -> Response:
        return _json({"flows": flow_graphs(registry.steps.values())})

    @app.get("/__workbench/api/logs")
    async def workbench_logs() -> Response:
        return _json({"logs": [log_json(r) for r in recorder.logs]})

    @app.get("/__workbench/api/traces")
    async def workbench_traces() -> Response:
        return _json({"traces": recorder.recent_traces()})

    @app.get("/__workbench/api/traces/<trace_id>")
    async def workbench_trace(trace_id: str) -> Response:
        return _json({"trace": recorder.trace(trace_id)})

    @app.get("/__workbench/api/dlq")
    async def workbench_dlq() -> Response:
        return _json({"deadLetters": [summary(d) for d in await dlq.list()]})

    @app.post("/__workbench/api/dlq/<dead_letter_id>/replay")
    async def workbench_dlq_replay(dead_letter_id: str) -> Response:
        if not await dlq.replay(dead_letter_id):
            return json_response(404, {"error": f"no dead letter {dead_letter_id!r}"}, new_trace_id())
        return _json({"replayed": [dead_letter_id]})

    @app.get("/__workbench/api/workers")
    async def workbench_workers() -> Response:
        return _json({"workers": status()})

    def no_state() -> Response:
        return json_response(404, {"error": "this host gives the Workbench no state store"}, new_trace_id())

    @app.get("/__workbench/api/state")
    async def workbench_state_groups() -> Response:
        if state is None:
            return no_state()
        return _json({"groups": await state.groups()})

    # `path:` so a group name holding '/' (sent as %2F or as it is) still reaches here whole.
    @app.get("/__workbench/api/state/<path:group>")
    async def workbench_state_group(group: str) -> Response:
        if state is None:
            return no_state()
        items = [{"key": key, "value": value} for key, value in await state.items(group)]
        return _json({"group": group, "items": items})

    async def send_queued(client: WorkbenchClient) -> None:
        while True:
            batch = [await client.queue.get()]
            # A busy api makes hundreds of lines a second: gather a burst into one frame, so an
            # open page costs the host one send per window instead of one per line.
            await asyncio.sleep(BATCH_WINDOW_S)
            while len(batch) < MAX_BATCH and not client.queue.empty():
                batch.append(client.queue.get_nowait())
            messages = [m for m in batch if m.get("type") != "close"]
            if messages:
                frame = {"type": "batch", "messages": messages}
                await websocket.send(json.dumps(frame, default=str, ensure_ascii=False))
            if len(messages) < len(batch):
                await websocket.close(1001, "stephost is shutting down")
                return

    async def read_commands(client: WorkbenchClient) -> None:
        """The page's requests (which trace it watches), until it leaves."""
        while True:
            problem = watch_request(client, await websocket.receive())
            if problem is not None:
                client.offer({"type": "error", "message": problem})

    def watch_request(client: WorkbenchClient, raw: str | bytes) -> str | None:
        try:
            message = json.loads(raw)
        except ValueError as exc:
            return f"a Workbench socket message must be JSON: {exc}"
        if not isinstance(message, dict) or message.get("type") != "watch":
            return f'the Workbench socket only takes {{"type": "watch", "traceId": ...}}, got {str(raw)[:200]!r}'
        trace_id = message.get("traceId")
        if trace_id is not None and (not isinstance(trace_id, str) or not trace_id):
            return f"watch: traceId must be a non-empty string or null, got {trace_id!r}"
        recorder.watch(client, trace_id)
        return None

    @app.websocket(WS_PATH)
    async def workbench_socket() -> None:
        await websocket.accept()
        client = recorder.connect()
        try:
            hello = {"type": "hello", "logs": [log_json(r) for r in recorder.logs]}
            await websocket.send(json.dumps(hello, default=str, ensure_ascii=False))
            writer = asyncio.ensure_future(send_queued(client))
            reader = asyncio.ensure_future(read_commands(client))
            try:
                await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                reader.cancel()
                writer.cancel()
                await asyncio.gather(reader, writer, return_exceptions=True)
        finally:
            recorder.drop(client)
