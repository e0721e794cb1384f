"""Stopping a host: requests in flight finish, stream clients are told it is going away, and an
idle WebSocket connection does not hold the host up for the server's whole graceful timeout."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
from pathlib import Path

import httpx
import websockets

from stephost.testing import HostProcess, wait_for

CHAT = Path(__file__).parent / "projects" / "chat"

SLOW_STEP = """
import asyncio

config = {"type": "api", "name": "Slow", "path": "/slow", "method": "GET", "emits": []}


async def handler(req, context):
    context.logger.info("slow request started")
    await asyncio.sleep(1.5)
    return {"status": 200, "body": {"finished": True}}
"""


async def test_sigterm_lets_a_request_finish_and_closes_stream_clients_with_going_away(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(CHAT, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "steps" / "slow_step.py").write_text(SLOW_STEP)
    with HostProcess(project, extra_args=["--log-format", "json"]) as host:
        assert host.proc is not None
        idle = await websockets.connect(host.url.replace("http", "ws") + "/")
        await idle.close()  # a connection that came and went must not hold the stop up
        ws = await websockets.connect(host.url.replace("http", "ws") + "/")
        join = {"type": "join", "data": {"streamName": "chat", "groupId": "g", "subscriptionId": "s"}}
        await ws.send(json.dumps(join))
        async with httpx.AsyncClient(timeout=30) as client:
            slow = asyncio.create_task(client.get(host.url + "/slow"))
            await asyncio.to_thread(
                wait_for, lambda: any(r.get("msg") == "slow request started" for r in host.log_records())
            )
            host.proc.send_signal(signal.SIGTERM)
            response = await slow
        assert response.status_code == 200 and response.json() == {"finished": True}
        async for _ in ws:  # the sync message, then the close ends the loop
            pass
        assert ws.close_code == 1001
        assert ws.close_reason == "stephost is shutting down"
        assert await asyncio.to_thread(host.proc.wait, 15) == 0, host.output()[-3000:]
