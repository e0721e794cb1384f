"""Streams over a real WebSocket: sync, create/update/delete/event in order, rooms, bad frames, slow clients."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stephost.streams.client import StreamClient, StreamError
from stephost.testing import HostProcess

PROJECT = Path(__file__).parent / "projects" / "chat"


@pytest.fixture(scope="module")
def host() -> Iterator[HostProcess]:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"]) as h:
        yield h


def ws_url(host: HostProcess) -> str:
    return host.url.replace("http://", "ws://")


async def post(host: HostProcess, path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=120) as client:
        return await client.post(host.url + path, json=body)


async def test_a_group_subscriber_gets_a_sync_then_every_change_in_order(host: HostProcess) -> None:
    await post(host, "/rooms/r1/messages", {"id": "m0", "text": "before", "author": "ada"})
    async with StreamClient(ws_url(host)) as client:
        sub = await client.subscribe_group("chat", "r1")
        assert await sub.sync() == [{"text": "before", "author": "ada", "id": "m0"}]
        r = await post(host, "/rooms/r1/messages", {"id": "m1", "text": "hi", "author": "ada"})
        assert r.json() == {"text": "hi", "author": "ada", "id": "m1"}
        await post(host, "/rooms/r1/messages", {"id": "m1", "text": "hi!", "author": "ada"})
        await post(host, "/rooms/r1/typing", {"who": "grace"})
        async with httpx.AsyncClient() as http:
            await http.delete(host.url + "/rooms/r1/messages/m1")
        events = [await sub.next_change() for _ in range(4)]
        assert events == [
            {"type": "create", "data": {"text": "hi", "author": "ada", "id": "m1"}},
            {"type": "update", "data": {"text": "hi!", "author": "ada", "id": "m1"}},
            {"type": "event", "event": {"type": "typing", "data": {"who": "grace"}}},
            {"type": "delete", "data": {"text": "hi!", "author": "ada", "id": "m1"}},
        ]


async def test_an_item_subscriber_sees_only_its_item_in_its_group(host: HostProcess) -> None:
    await post(host, "/rooms/r2/messages", {"id": "a", "text": "one", "author": "x"})
    async with StreamClient(ws_url(host)) as client:
        item = await client.subscribe_item("chat", "r2", "a")
        assert await item.sync() == {"text": "one", "author": "x", "id": "a"}
        await post(host, "/rooms/r2/messages", {"id": "b", "text": "other item", "author": "x"})
        await post(host, "/rooms/other/messages", {"id": "a", "text": "same id, other group", "author": "x"})
        await post(host, "/rooms/r2/messages", {"id": "a", "text": "two", "author": "x"})
        change = await item.next_change()
        assert change == {"type": "update", "data": {"text": "two", "author": "x", "id": "a"}}
        assert item.messages.empty()
        assert client.unmatched.empty()


async def test_leave_stops_the_messages(host: HostProcess) -> None:
    async with StreamClient(ws_url(host)) as client:
        sub = await client.subscribe_group("chat", "r3")
        await sub.sync()
        await sub.leave()
        await post(host, "/rooms/r3/messages", {"id": "z", "text": "after leave", "author": "x"})
        probe = await client.subscribe_group("chat", "r3")  # a later join proves the server moved on
        assert [m["id"] for m in await probe.sync()] == ["z"]
        assert client.unmatched.empty()


async def test_unknown_streams_are_denied_without_saying_they_do_not_exist(host: HostProcess) -> None:
    async with StreamClient(ws_url(host)) as client:
        sub = await client.subscribe_group("nope", "g")
        with pytest.raises(StreamError) as denied:
            await sub.next_message()
        assert denied.value.code == "STREAM_ACCESS_DENIED"


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        ("{not json", "not valid JSON"),
        (b"\x00\x01", "binary frames"),
        ('["a list"]', "a JSON object"),
        ('{"type": "dance"}', "unknown frame type 'dance'"),
        ('{"type": "join", "data": {"streamName": "chat"}}', "non-empty string 'groupId'"),
        ('{"type": "join"}', 'needs "data"'),
    ],
)
async def test_a_bad_frame_gets_an_error_event_and_the_connection_stays_open(
    host: HostProcess, frame: str | bytes, fragment: str
) -> None:
    async with StreamClient(ws_url(host)) as client:
        await client.send_frame(frame)
        error = await asyncio.wait_for(client.unmatched.get(), 10)
        data = error["event"]["event"]["data"]
        assert data["code"] == "INVALID_MESSAGE"
        assert fragment in data["message"]
        sub = await client.subscribe_group("chat", "still-open")
        assert await sub.sync() == []


async def test_an_application_ping_gets_a_pong(host: HostProcess) -> None:
    async with StreamClient(ws_url(host)) as client:
        await client.send_frame({"type": "ping"})
        assert await asyncio.wait_for(client.unmatched.get(), 10) == {"type": "pong"}


class RawSocketClient:
    """A WebSocket client that never reads after the handshake: the slowest client there is."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head, head
        self.buffer = b""

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert len(payload) < 126
        self.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    def read_until_close(self, timeout_s: float) -> tuple[int, str]:
        """Read every frame (finally!) until the close frame; its code and reason."""
        self.sock.settimeout(timeout_s)
        while True:
            frame = self._next_frame()
            if frame is None:
                raise AssertionError("connection ended without a close frame")
            opcode, payload = frame
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def _next_frame(self) -> tuple[int, bytes] | None:
        def need(n: int) -> bytes | None:
            while len(self.buffer) < n:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return None
                self.buffer += chunk
            out, self.buffer = self.buffer[:n], self.buffer[n:]
            return out

        head = need(2)
        if head is None:
            return None
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", need(2) or b"\0\0")[0]
        elif length == 127:
            length = struct.unpack("!Q", need(8) or b"\0" * 8)[0]
        payload = need(length)
        return None if payload is None else (head[0] & 0x0F, payload)

    def close(self) -> None:
        self.sock.close()


async def test_a_client_that_stops_reading_is_disconnected_with_a_reason_and_others_carry_on(
    host: HostProcess,
) -> None:
    slow = RawSocketClient(host.port)
    try:
        slow.send_text('{"type":"join","data":{"streamName":"chat","groupId":"flood","subscriptionId":"s"}}')
        count = 600
        async with StreamClient(ws_url(host)) as fast:
            sub = await fast.subscribe_group("chat", "flood")
            await sub.sync()
            r = await post(host, "/rooms/flood/flood", {"count": count, "size": 30000})
            assert r.status_code == 200
            for _ in range(count):
                await sub.next_change()
        # stephost.json sets maxPending 50: the host gave up on the client and said why.
        code, reason = await asyncio.to_thread(slow.read_until_close, 30)
        assert code == 1008
        assert "client too slow" in reason
    finally:
        slow.close()
