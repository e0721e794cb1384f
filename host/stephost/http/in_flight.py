"""Counts the HTTP requests being served, so a shutdown waits for real work only.

Hypercorn's graceful shutdown waits for every connection task, and an idle
WebSocket's keep-alive ping task sleeps out its whole interval before it notices
the connection is gone: a host with no work left would still hang for the full
graceful timeout. Knowing when no request is in flight lets the host stop waiting.
"""

from __future__ import annotations

import asyncio

from hypercorn.typing import ASGIFramework, ASGIReceiveCallable, ASGISendCallable, Scope


class InFlightRequests:
    """An ASGI wrapper: passes everything through, counting `http` requests as they run."""

    def __init__(self, app: ASGIFramework) -> None:
        self._app = app
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self.count += 1
        self._idle.clear()
        try:
            await self._app(scope, receive, send)
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self, timeout_s: float) -> bool:
        """True once no request is in flight; False if some still were after `timeout_s`."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._idle.wait()
            return True
        except TimeoutError:
            return False
