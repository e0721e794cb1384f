"""Serving the host's ASGI app on Uvicorn (httptools for HTTP/1.1, wsproto for WebSockets).

Why Uvicorn and not Hypercorn, which serves the bare-Quart baseline: HTTP parsing and
framing were most of the host's CPU per request (bench/breakdown.py: ~60 % of a GET on
Hypercorn and h11). httptools parses with llhttp (Node's parser, in C) straight into an
asyncio.Protocol's callbacks, where Hypercorn runs each connection over asyncio streams
through several layers in Python. A raw ASGI app answering JSON served ~6,200 req/s on
Hypercorn and ~36,600 req/s on Uvicorn with httptools (c16, one core).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator

import uvicorn

from stephost.errors import PortInUse
from stephost.http.asgi import ASGIApp
from stephost.http.http_protocol import BoundedHttpProtocol
from stephost.http.in_flight import InFlightRequests

GRACEFUL_TIMEOUT_S = 5.0  # what requests in flight get to finish when the host stops
STOP_AFTER_IDLE_S = 0.5  # then what the HTTP server gets to wind down its connections
WEBSOCKET_PING_S = 20.0  # keep-alive: dead stream clients are noticed and dropped
KEEP_ALIVE_S = 5.0  # an idle HTTP/1.1 connection is closed after this
LISTEN_BACKLOG = 2048


class _Server(uvicorn.Server):
    """Uvicorn's server as a part of the host: the host owns the process's signals (a stop is
    `should_exit`), and says it is ready once Uvicorn serves the socket."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Uvicorn would replace the handlers the host installed on its loop, and raise the
        # signal again once it stops.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_ready()


def listening_socket(bind: str, port: int) -> socket.socket:
    """The server's socket, bound and listening; PortInUse if the port is taken.

    Bound here, not by Uvicorn: Uvicorn answers a failed bind with sys.exit."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            bind, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )[0]
        # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are
        # TCP, and without it a response's body waits ~40 ms behind its headers (Nagle).
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise PortInUse(f"cannot listen on {bind}:{port} ({exc})") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        sock.close()
        raise PortInUse(f"port {port} on {bind} is already in use ({exc.strerror})") from exc
    sock.setblocking(False)
    return sock


def _config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=BoundedHttpProtocol,
        ws="wsproto",
        lifespan="auto",
        # Uvicorn's errors (an exception that escaped the app) reach the host's log
        # (stephost.logs.route_host_logging); its warnings are about clients' bad requests,
        # which get their 400 and are not worth a line each.
        log_config=None,
        log_level=logging.ERROR,
        access_log=False,
        # X-Forwarded-* reach the step as sent: the client address is not rewritten from them.
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_S,  # type: ignore[arg-type]  # a float works: it is a loop timer
        timeout_graceful_shutdown=int(GRACEFUL_TIMEOUT_S),
        ws_ping_interval=WEBSOCKET_PING_S,
        ws_ping_timeout=WEBSOCKET_PING_S,
    )


async def serve_http(
    app: ASGIApp,
    bind: str,
    port: int,
    shutdown: Callable[[], Awaitable[None]],
    *,
    on_ready: Callable[[], None],
    before_stop: Callable[[], None],
) -> None:
    """Serve `app` until `shutdown()` returns, then stop: `before_stop()` (close live sockets),
    let requests in flight finish (up to GRACEFUL_TIMEOUT_S), and end."""
    sock = listening_socket(bind, port)
    in_flight = InFlightRequests(app)
    server = _Server(_config(in_flight), on_ready)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    stop_requested: asyncio.Future[None] = asyncio.ensure_future(shutdown())
    try:
        await asyncio.wait({serving, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            await serving  # it stopped on its own: raise what stopped it
            return
        # Stop accepting at once; close idle keep-alive connections, let busy ones finish.
        server.should_exit = True
        before_stop()
        await in_flight.wait_idle(GRACEFUL_TIMEOUT_S)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_AFTER_IDLE_S):
                await asyncio.shield(serving)
    finally:
        stop_requested.cancel()
        server.force_exit = True
        serving.cancel()
        await asyncio.gather(serving, stop_requested, return_exceptions=True)
        sock.close()
