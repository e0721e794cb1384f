"""Serving the host's ASGI app on Hypercorn, and stopping it without waiting on idle sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.typing import ASGIFramework

from stephost.http.in_flight import InFlightRequests

GRACEFUL_TIMEOUT_S = 5.0  # what requests in flight get to finish when the host stops
STOP_AFTER_IDLE_S = 0.5  # then what the HTTP server gets to wind down its connections
WEBSOCKET_PING_S = 20.0  # keep-alive: dead stream clients are noticed and dropped


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
    config = HypercornConfig()
    config.bind = [f"{bind}:{port}"]
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = GRACEFUL_TIMEOUT_S
    config.websocket_ping_interval = WEBSOCKET_PING_S
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
