"""The host's HTTP server (http/server.py) on a real Uvicorn and real sockets: keep-alive connections
closed once idle for the timeout, not while in use; one current Date header; TCP_NODELAY on every
connection; a taken port named; the process's signal handlers left to the host."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from stephost.errors import PortInUse
from stephost.http import http_protocol, server
from stephost.logs import route_host_logging
from stephost.testing import free_port
from stephost.types import LogRecord

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
    if scope["path"] == "/boom":
        raise RuntimeError("the app broke")
    if scope["path"] == "/slow":
        await asyncio.sleep(KEEP_ALIVE_S * 3)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


class Serving:
    def __init__(self, port: int, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
        self.port, self.stop, self.task = port, stop, task


@contextlib.asynccontextmanager
async def started(monkeypatch: pytest.MonkeyPatch, keep_alive_s: float) -> AsyncIterator[Serving]:
    monkeypatch.setattr(server, "KEEP_ALIVE_S", keep_alive_s)
    monkeypatch.setattr(http_protocol, "HEAD_TIMEOUT_S", keep_alive_s)
    number = free_port()
    ready = asyncio.Event()
    stop = asyncio.Event()
    task = asyncio.create_task(
        server.serve_http(hello, "127.0.0.1", number, stop.wait, on_ready=ready.set, before_stop=lambda: None)  # type: ignore[arg-type]
    )
    await asyncio.wait_for(ready.wait(), 10)
    for _ in range(100):  # on_ready fires once Uvicorn serves the socket
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


async def test_a_response_has_one_current_date_header_and_no_server_header(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    headers = await get(reader, writer)
    writer.close()
    (date,) = headers[b"date"]
    sent = email.utils.parsedate_to_datetime(date.decode())
    assert abs(sent.timestamp() - time.time()) < 3
    assert b"server" not in headers


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


async def test_every_accepted_connection_has_tcp_nodelay() -> None:
    """Without it a response's body, written after its headers, waits for the client's delayed
    ACK (~40 ms a request on a keep-alive connection)."""
    listener = server.listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    served = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", listener.getsockname()[1])
        assert await asyncio.wait_for(accepted, 5) != 0
        writer.close()
    finally:
        served.close()
        await served.wait_closed()


def test_a_taken_port_is_named() -> None:
    taken = server.listening_socket("127.0.0.1", 0)
    number = taken.getsockname()[1]
    try:
        with pytest.raises(PortInUse, match=f"port {number} on 127.0.0.1 is already in use"):
            server.listening_socket("127.0.0.1", number)
    finally:
        taken.close()


async def test_the_server_leaves_the_process_signal_handlers_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The host stops on its own signal handlers; Uvicorn would replace them while it serves."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    async with started(monkeypatch, KEEP_ALIVE_S) as running:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        await get(reader, writer)
        assert {sig: signal.getsignal(sig) for sig in before} == before
        writer.close()
    assert {sig: signal.getsignal(sig) for sig in before} == before


async def head_answer(port: int, *chunks: bytes) -> bytes:
    """What the server answers to `chunks` sent one by one (until it answers), up to its
    closing the connection. Read all along: a client that kept writing into a closed
    connection would get a reset, which can drop the answer before it is read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.ensure_future(reader.read())
    try:
        for chunk in chunks:
            if answer.done() or reader.at_eof():
                break
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(0.005)
        return await asyncio.wait_for(answer, 5)
    finally:
        answer.cancel()
        writer.close()


async def test_a_request_head_under_the_limit_is_served(port: int) -> None:
    big = b"x" * (http_protocol.MAX_HEAD_BYTES - 200)
    answer = await head_answer(port, b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + big + b"\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:80]


async def test_a_header_over_the_limit_is_answered_431_and_closed(port: int) -> None:
    big = b"x" * (http_protocol.MAX_HEAD_BYTES + 1)
    answer = await head_answer(port, b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + big + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:80]
    assert answer.endswith(f"over the {http_protocol.MAX_HEAD_BYTES}-byte limit".encode())
    assert b"connection: close" in answer


async def test_many_headers_over_the_limit_are_answered_431(port: int) -> None:
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 90) for i in range(300))  # ~30 KB in small headers
    answer = await head_answer(port, b"GET / HTTP/1.1\r\nHost: t\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]


async def test_a_header_that_never_ends_is_cut_off_at_the_limit(port: int) -> None:
    """Sent in small pieces with no end of line: the parser would buffer it all; the raw count stops it."""
    pieces = [b"GET / HTTP/1.1\r\nHost: t\r\nX-Drip: "] + [b"y" * 1024] * 64
    answer = await head_answer(port, *pieces)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]


async def test_a_malformed_request_is_answered_400(port: int) -> None:
    answer = await head_answer(port, b"NOT HTTP AT ALL\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]


async def test_an_exception_escaping_the_app_reaches_the_host_log(port: int) -> None:
    records: list[LogRecord] = []
    route_host_logging(records.append)
    logger = logging.getLogger("uvicorn.error")
    try:
        answer = await head_answer(port, b"GET /boom HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 500"), answer[:80]
        (record,) = [r for r in records if r.level == "error"]
        assert record.step == "stephost" and "the app broke" in record.fields["stack"]
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in list(logging.getLogger("stephost").handlers):
            logging.getLogger("stephost").removeHandler(handler)
        logger.propagate = True
        logging.getLogger("stephost").propagate = True


async def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    assert await asyncio.wait_for(reader.read(), KEEP_ALIVE_S + 5) == b""
    assert time.monotonic() - started >= KEEP_ALIVE_S * 0.9
    writer.close()


async def test_a_head_that_stops_halfway_is_answered_408(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nX-Half: ")
    answer = await asyncio.wait_for(reader.read(), KEEP_ALIVE_S + 5)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:80]
    assert answer.endswith(f"the request head did not arrive within {KEEP_ALIVE_S:g} s".encode())
    writer.close()


async def test_a_head_sent_in_pieces_within_the_timeout_is_served(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for piece in (b"GET / HTT", b"P/1.1\r\nHost: t\r\n", b"Connection: close\r\n\r\n"):
        writer.write(piece)
        await asyncio.sleep(KEEP_ALIVE_S / 5)
    answer = await asyncio.wait_for(reader.read(), 5)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
    writer.close()


async def test_a_request_served_longer_than_the_head_timeout_is_not_cut(port: int) -> None:
    """The clock stops once the head is in: a slow handler is the deadline's business, not this."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), KEEP_ALIVE_S * 3 + 5)
    assert head.startswith(b"HTTP/1.1 200"), head
    assert await reader.readexactly(2) == b"ok"
    # and the connection is idle-timed from the response on, as before
    assert await closed_by_server(reader, KEEP_ALIVE_S + 2)
    writer.close()


async def test_pipelined_requests_are_all_served_however_long_the_first_takes(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
    for _ in range(2):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), KEEP_ALIVE_S * 3 + 5)
        assert head.startswith(b"HTTP/1.1 200"), head
        assert await reader.readexactly(2) == b"ok"
    writer.close()
