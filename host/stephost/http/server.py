"""Serving the host's ASGI app on Hypercorn, and stopping it without waiting on idle sockets."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from wsgiref.handlers import format_date_time

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.typing import ASGIFramework

from stephost.http import keep_alive
from stephost.http.in_flight import InFlightRequests

GRACEFUL_TIMEOUT_S = 5.0  # what requests in flight get to finish when the host stops
STOP_AFTER_IDLE_S = 0.5  # then what the HTTP server gets to wind down its connections
WEBSOCKET_PING_S = 20.0  # keep-alive: dead stream clients are noticed and dropped
KEEP_ALIVE_S = 5.0  # an idle HTTP/1.1 connection is closed after this (Hypercorn's default)


class _Config(HypercornConfig):
    """Hypercorn's config with the Date header formatted once a second instead of once a response
    (~1 % of the host's CPU per GET)."""

    def __init__(self) -> None:
        super().__init__()
        self.include_date_header = False  # added by response_headers below
        self._date_second = -1
        self._date = b""

    def response_headers(self, protocol: str) -> list[tuple[bytes, bytes]]:
        now = int(time.time())
        if now != self._date_second:
            self._date_second, self._date = now, format_date_time(now).encode("ascii")
        return [(b"date", self._date), *super().response_headers(protocol)]


async def serve_http(
    app: ASGIFramework,
    bind: str,
    port: int,
    shutdown: Callable[[], Awaitable[None]],
    *,
    on_ready: Callable[[], None],
    before_stop: Callable[[], None],
) -> None:
    """Serve `app` until `shutdown()` returns, then stop: `before_stop()` (close live sockets),
    let requests in flight finish (up to GRACEFUL_TIMEOUT_S), and end.

    Hypercorn alone would also wait for idle WebSocket keep-alive tasks, up to its whole
    graceful timeout, though nothing is left to do: counting the requests in flight lets
    the host stop as soon as the real work is done.
    """
    # False only with a Hypercorn this was not written for: it then runs as it comes.
    keep_alive.install()
    config = _Config()
    config.bind = [f"{bind}:{port}"]
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = GRACEFUL_TIMEOUT_S
    config.websocket_ping_interval = WEBSOCKET_PING_S
    config.keep_alive_timeout = KEEP_ALIVE_S
    in_flight = InFlightRequests(app)
    stopping = asyncio.Event()

    async def shutdown_trigger() -> None:
        # Hypercorn awaits this once it listens: the moment to say the host is ready.
        on_ready()
        await shutdown()
        stopping.set()

    server = asyncio.create_task(serve(in_flight, config, shutdown_trigger=shutdown_trigger))
    stop_requested = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({server, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
        if server.done():
            await server  # it stopped on its own: raise what stopped it
            return
        before_stop()
        await in_flight.wait_idle(GRACEFUL_TIMEOUT_S)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_AFTER_IDLE_S):
                await asyncio.shield(server)
    finally:
        stop_requested.cancel()
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
