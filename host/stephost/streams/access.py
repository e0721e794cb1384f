"""Who may connect and what they may join: the project's authenticate hook and each stream's canAccess.

Both run inside workers (the stream auth file's and the stream file's), which stay
up: a join costs one message, not a process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from stephost.errors import InvocationFailed, WorkerUnavailable
from stephost.streams.service import StreamDefinition
from stephost.trace import new_trace_id
from stephost.types import Invocation, InvocationResult, LogRecord, LogSink, Trigger, ValueResult
from stephost.workers.supervisor import StepWorker

AUTH_TIMEOUT_S = 10.0


class AuthRefused(Exception):
    """Raised when the project's authenticate hook throws: the upgrade gets 401."""


class StreamAccess:
    def __init__(
        self,
        auth_worker: Callable[[], StepWorker | None],
        stream_workers: dict[str, StepWorker],
        log_sink: LogSink,
    ) -> None:
        # Looked up per connection: `dev` swaps the auth worker when motia.config changes.
        self._auth_worker = auth_worker
        self._stream_workers = stream_workers
        self._log_sink = log_sink

    def _log(self, level: str, step: str, msg: str, **fields: Any) -> None:
        self._log_sink(LogRecord(level=level, msg=msg, step=step, time_ms=int(time.time() * 1000), fields=fields))

    @staticmethod
    async def _call(worker: StepWorker, trigger: Trigger, payload: dict[str, Any]) -> InvocationResult:
        """Run one auth function in its worker (raises InvocationFailed or WorkerUnavailable)."""
        invocation = Invocation(trigger=trigger, payload=payload, trace_id=new_trace_id(), timeout_s=AUTH_TIMEOUT_S)
        return await worker.invoke(invocation)

    async def authenticate(self, headers: dict[str, str], url: str) -> Any:
        """The connection's auth context (None = anonymous); raises AuthRefused."""
        auth_worker = self._auth_worker()
        if auth_worker is None:
            return None
        try:
            result = await self._call(auth_worker, Trigger.AUTHENTICATE, {"headers": headers, "url": url})
        except (InvocationFailed, WorkerUnavailable) as exc:
            self._log("warn", "streamAuth", f"authenticate refused a connection: {exc.message}", code=exc.code)
            raise AuthRefused(exc.message) from exc
        return result.value if isinstance(result, ValueResult) else None

    async def can_access(self, stream: StreamDefinition, group: str, item_id: str | None, auth: Any) -> bool:
        """Whether `auth` may join; a failing canAccess is a denial, never an accidental grant."""
        if not stream.has_can_access:
            return True
        worker = self._stream_workers.get(stream.name)
        if worker is None:
            return False
        subscription: dict[str, Any] = {"groupId": group}
        if item_id is not None:
            subscription["id"] = item_id
        try:
            result = await self._call(worker, Trigger.CAN_ACCESS, {"subscription": subscription, "authContext": auth})
        except (InvocationFailed, WorkerUnavailable) as exc:
            self._log("error", stream.name, f"canAccess failed, join denied: {exc.message}", code=exc.code)
            return False
        return isinstance(result, ValueResult) and result.value is True
