"""Motia's published Node stream client (@motiadev/stream-client-node), unchanged, against stephost.

The client runs in its own Node process (tests/e2e/motia_client/subscribe.mjs, installed by
scripts/setup) and prints every state change and custom event its listeners get. Our own
StreamClient subscribes to the same group and item at the same time; the states Motia's
client shows must be exactly what our raw change messages add up to, in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stephost.streams.client import StreamClient, Subscription
from stephost.testing import HostProcess

HERE = Path(__file__).parent
PROJECT = HERE / "projects" / "chat"
MOTIA_CLIENT = HERE / "motia_client"
SCRIPT = MOTIA_CLIENT / "subscribe.mjs"

Line = dict[str, Any]


@pytest.fixture(scope="module")
def host() -> Iterator[HostProcess]:
    if not (MOTIA_CLIENT / "node_modules" / "@motiadev" / "stream-client-node").is_dir():
        pytest.fail(f"{MOTIA_CLIENT} is not installed: run scripts/setup (npm ci there)")
    if shutil.which("node") is None:
        pytest.fail("node is needed on the PATH")
    with HostProcess(PROJECT, extra_args=["--log-format", "json"]) as h:
        yield h


class MotiaNodeClient:
    """subscribe.mjs as a subprocess: its JSON lines, split by subscription; stopped by pid."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: dict[str, list[Line]] = {"group": [], "item": []}

    @classmethod
    async def start(
        cls, url: str, stream: str, group: str, *, item: str | None, events: list[str], count: int
    ) -> MotiaNodeClient:
        args = ["--url", url, "--stream", stream, "--group", group, "--count", str(count), "--timeout-ms", "10000"]
        if item is not None:
            args += ["--item", item]
        if events:
            args += ["--events", ",".join(events)]
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            *args,
            cwd=MOTIA_CLIENT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def read(self, n: int, timeout: float = 10.0) -> None:
        """Read `n` more lines; fail with the client's stderr if it exits or times out first."""
        assert self.proc.stdout is not None
        for _ in range(n):
            raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            line = json.loads(raw) if raw else {"kind": "exited"}
            if line.get("kind") in ("timeout", "exited"):
                stderr = await self._stderr()
                raise AssertionError(f"Motia client gave up ({line}) after {self.lines}; stderr:\n{stderr}")
            self.lines[line["sub"]].append(line)

    async def _stderr(self) -> str:
        assert self.proc.stderr is not None
        with contextlib.suppress(TimeoutError):
            return (await asyncio.wait_for(self.proc.stderr.read(), 2)).decode(errors="replace")
        return "(no stderr)"

    async def finished(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), 10)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()


def motia_view(sub: Subscription, messages: list[dict[str, Any]], events: list[str]) -> list[Line]:
    """What Motia's client should show for our raw messages: its group/item reducers, as documented."""
    name = "item" if sub.item_id is not None else "group"
    out: list[Line] = []
    state: Any = None
    for message in messages:
        event = message["event"]
        kind, data = event["type"], event.get("data")
        if kind == "event":
            custom = event["event"]
            if custom["type"] in events:
                out.append({"sub": name, "kind": "event", "type": custom["type"], "data": custom["data"]})
            continue
        if name == "item":
            state = None if kind == "delete" else data
        elif kind == "sync":
            state = data
        elif kind == "create":
            state = state if any(i["id"] == data["id"] for i in state) else [*state, data]
        elif kind == "update":
            state = [data if i["id"] == data["id"] else i for i in state]
        elif kind == "delete":
            state = [i for i in state if i["id"] != data["id"]]
        out.append({"sub": name, "kind": "state", "state": state})
    return out


async def test_motias_client_sees_the_same_states_and_events_as_ours(host: HostProcess) -> None:
    room = f"mc-{uuid.uuid4().hex[:8]}"
    url = host.url.replace("http://", "ws://")
    first = {"text": "first", "author": "ada", "id": "m1"}
    second = {"text": "second", "author": "grace", "id": "m2"}
    edited = {**first, "text": "first, edited"}
    async with httpx.AsyncClient(base_url=host.url, timeout=30) as http:
        # The item exists before anyone joins, so both subscriptions start with a sync.
        (await http.post(f"/rooms/{room}/messages", json=first)).raise_for_status()
        # One connection per subscription: our client would also route the item's sync,
        # which carries an id, to a group subscription on the same connection.
        async with StreamClient(url) as ours, StreamClient(url) as ours_item:
            group = await ours.subscribe_group("chat", room)
            item = await ours_item.subscribe_item("chat", room, "m1")
            ours_seen: dict[str, list[dict[str, Any]]] = {"group": [], "item": []}
            for name, sub in (("group", group), ("item", item)):
                ours_seen[name].append(await sub.next_message())
            motia = await MotiaNodeClient.start(url, "chat", room, item="m1", events=["typing"], count=10)
            try:
                await motia.read(2)  # both syncs: Motia's client has joined
                assert motia.lines == {
                    "group": [{"sub": "group", "kind": "state", "state": [first]}],
                    "item": [{"sub": "item", "kind": "state", "state": first}],
                }
                here, elsewhere = f"/rooms/{room}", f"/rooms/{room}-other"
                for method, path, body in (
                    ("POST", f"{here}/messages", second),  # group: create
                    ("POST", f"{here}/messages", edited),  # group + item: update
                    ("POST", f"{here}/typing", {"who": "grace"}),  # group: custom event
                    ("POST", f"{elsewhere}/messages", first),  # the same id in another group: nobody
                    ("DELETE", f"{here}/messages/m2", None),  # group: delete
                    ("DELETE", f"{here}/messages/m1", None),  # group + item: delete
                    ("POST", f"{here}/typing", {"who": "done"}),  # group: the last line
                ):
                    (await http.request(method, path, json=body)).raise_for_status()
                for name, sub, n in (("group", group, 6), ("item", item, 2)):
                    ours_seen[name] += [await sub.next_message() for _ in range(n)]
                await motia.read(8)
                assert await motia.finished() == 0
            finally:
                await motia.stop()
            await asyncio.sleep(0.2)
            assert group.messages.empty()
            assert item.messages.empty()
            assert ours.unmatched.empty()
            assert ours_item.unmatched.empty()

    expected = {
        "group": [
            {"sub": "group", "kind": "state", "state": [first]},
            {"sub": "group", "kind": "state", "state": [first, second]},
            {"sub": "group", "kind": "state", "state": [edited, second]},
            {"sub": "group", "kind": "event", "type": "typing", "data": {"who": "grace"}},
            {"sub": "group", "kind": "state", "state": [edited]},
            {"sub": "group", "kind": "state", "state": []},
            {"sub": "group", "kind": "event", "type": "typing", "data": {"who": "done"}},
        ],
        "item": [
            {"sub": "item", "kind": "state", "state": first},
            {"sub": "item", "kind": "state", "state": edited},
            {"sub": "item", "kind": "state", "state": None},
        ],
    }
    assert motia.lines == expected
    assert {
        "group": motia_view(group, ours_seen["group"], ["typing"]),
        "item": motia_view(item, ours_seen["item"], ["typing"]),
    } == expected


async def test_motias_client_gets_the_access_denied_error_as_an_error_event(host: HostProcess) -> None:
    url = host.url.replace("http://", "ws://")
    motia = await MotiaNodeClient.start(url, "no-such-stream", "g", item=None, events=["error"], count=1)
    try:
        await motia.read(1)
        assert await motia.finished() == 0
    finally:
        await motia.stop()
    assert motia.lines["group"] == [
        {
            "sub": "group",
            "kind": "event",
            "type": "error",
            "data": {"code": "STREAM_ACCESS_DENIED", "message": "Access denied"},
        }
    ]
