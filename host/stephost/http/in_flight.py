"""Counts the HTTP requests being served, so a shutdown waits for real work only.

The server's own graceful stop waits for every connection to close, WebSockets and
slow clients included, up to its timeout. Knowing when no request is in flight lets
the host wait exactly as long as requests need, then give the server a short while
(server.STOP_AFTER_IDLE_S) to close what is left.
"""

from __future__ import annotations

import asyncio

from stephost.http.asgi import ASGIApp, Receive, Scope, Send


class InFlightRequests:
    """An ASGI wrapper: passes everything through, counting `http` requests as they run."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
