"""The host's HTTP server (http/server.py, http/keep_alive.py) on a real Hypercorn and real sockets:
keep-alive connections closed once idle for the timeout, not while in use; one current Date header."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import hypercorn.asyncio.run as hypercorn_run
import pytest

from stephost.http import keep_alive, server
from stephost.testing import free_port

KEEP_ALIVE_S = 0.4


async def hello(
    scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


class Serving:
    def __init__(self, port: int, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
        self.port, self.stop, self.task = port, stop, task


@contextlib.asynccontextmanager
async def started(monkeypatch: pytest.MonkeyPatch, keep_alive_s: float) -> AsyncIterator[Serving]:
    monkeypatch.setattr(server, "KEEP_ALIVE_S", keep_alive_s)
    number = free_port()
    ready = asyncio.Event()
    stop = asyncio.Event()
    task = asyncio.create_task(
        server.serve_http(hello, "127.0.0.1", number, stop.wait, on_ready=ready.set, before_stop=lambda: None)  # type: ignore[arg-type]
    )
    await asyncio.wait_for(ready.wait(), 10)
    for _ in range(100):  # on_ready fires as Hypercorn starts listening
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", number)
            writer.close()
            await writer.wait_closed()
            break
        await asyncio.sleep(0.02)
    try:
        yield Serving(number, stop, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def serving(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Serving]:
    async with started(monkeypatch, KEEP_ALIVE_S) as running:
        yield running


@pytest.fixture
def port(serving: Serving) -> int:
    return serving.port


async def get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> dict[bytes, list[bytes]]:
    """One keep-alive GET on an open connection; its headers, by lower-case name."""
    writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200"), head
    headers: dict[bytes, list[bytes]] = {}
    for line in head.split(b"\r\n")[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    assert await reader.readexactly(2) == b"ok"
    return headers


async def closed_by_server(reader: asyncio.StreamReader, within_s: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), within_s) == b""
    except TimeoutError:
        return False


def test_the_lean_server_is_installed_into_this_hypercorn() -> None:
    assert keep_alive.compatible()
    assert keep_alive.install()
    assert hypercorn_run.TCPServer is keep_alive.LeanTCPServer


async def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await get(reader, writer)
    started = time.monotonic()
    assert await closed_by_server(reader, KEEP_ALIVE_S + 2)
    assert time.monotonic() - started >= KEEP_ALIVE_S * 0.9
    writer.close()


async def test_a_connection_in_use_stays_open_past_the_timeout(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    # A request every half timeout, for three timeouts: the deadline moves with each.
    while time.monotonic() - started < 3 * KEEP_ALIVE_S:
        await get(reader, writer)
        assert not await closed_by_server(reader, KEEP_ALIVE_S / 2)
    await get(reader, writer)
    assert await closed_by_server(reader, KEEP_ALIVE_S + 2)
    writer.close()


async def test_a_response_has_one_current_date_header_and_hypercorns_others(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    headers = await get(reader, writer)
    writer.close()
    (date,) = headers[b"date"]
    sent = email.utils.parsedate_to_datetime(date.decode())
    assert abs(sent.timestamp() - time.time()) < 3
    assert headers[b"server"] == [b"hypercorn-h11"]


async def test_the_timer_closes_once_at_the_last_deadline() -> None:
    loop = asyncio.get_running_loop()
    closes: list[float] = []

    async def close() -> None:
        closes.append(loop.time())

    idle = keep_alive.TimerIdle(loop, 0.2, close, FlagEvent())
    started = loop.time()
    await idle.restart(None, close)
    await asyncio.sleep(0.1)
    await idle.restart(None, close)  # moves the deadline to ~0.3 s
    await asyncio.sleep(0.15)
    assert closes == []
    await asyncio.sleep(0.2)
    assert len(closes) == 1 and closes[0] - started >= 0.29
    await idle.restart(None, close)
    await idle.stop()  # a request began: no close while it is served
    await asyncio.sleep(0.3)
    assert len(closes) == 1
    idle.dispose()


async def test_stopping_closes_an_idle_keep_alive_connection_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # All far longer than the test may take: only the stop itself can close the connection.
    monkeypatch.setattr(server, "STOP_AFTER_IDLE_S", 30.0)
    monkeypatch.setattr(server, "GRACEFUL_TIMEOUT_S", 30.0)
    async with started(monkeypatch, keep_alive_s=30.0) as running:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        await get(reader, writer)
        running.stop.set()
        assert await closed_by_server(reader, 10)
        await asyncio.wait_for(running.task, 10)  # not held up by the idle connection
        writer.close()


class FlagEvent:
    """hypercorn.typing.Event over an asyncio.Event."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    async def set(self) -> None:
        self._event.set()

    async def clear(self) -> None:
        self._event.clear()

    async def wait(self) -> None:
        await self._event.wait()

    def is_set(self) -> bool:
        return self._event.is_set()


async def test_a_connection_busy_when_the_server_stops_closes_once_its_request_is_done() -> None:
    loop = asyncio.get_running_loop()
    closes: list[float] = []

    async def close() -> None:
        closes.append(loop.time())

    terminated = FlagEvent()
    idle = keep_alive.TimerIdle(loop, 60, close, terminated)
    await idle.restart(None, close)  # idle
    await idle.stop()  # a request began
    await terminated.set()
    await asyncio.sleep(0.05)
    assert closes == []  # busy: left to finish
    await idle.restart(None, close)  # its response went out
    await asyncio.sleep(0.05)
    assert len(closes) == 1
    idle.dispose()
