"""The ASGI 3 shapes the host's HTTP layer is written against, whichever server runs it.

Loose on purpose: the server (Uvicorn) and the fallback app (Quart) each type the messages
their own way; the host only needs the calling convention."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Scope = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
