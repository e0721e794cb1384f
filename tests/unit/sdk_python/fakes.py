"""Fakes and paths shared by the Python SDK tests (imported as a plain module)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stephost_sdk.messages import CtxOp, LogRecord

FIXTURE_PROJECT = Path(__file__).parent / "fixtures" / "project"


class FakeChannel:
    """A CtxChannel answering every call with `answer(op)` at once."""

    def __init__(self, answer: Callable[[CtxOp], Any] = lambda op: None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, CtxOp]] = []
        self.logs: list[LogRecord] = []

    def call(self, invocation_id: str, op: CtxOp) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.calls.append((invocation_id, op))
        try:
            future.set_result(self.answer(op))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def log(self, record: LogRecord) -> None:
        self.logs.append(record)
