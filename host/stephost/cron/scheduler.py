"""Runs cron steps on their schedule. Never two runs of one step at once: an overlapping tick is skipped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, tzinfo
from typing import Any

from stephost.config import StepDefinition
from stephost.cron.expression import parse_cron
from stephost.types import LogRecord, LogSink

Clock = Callable[[], datetime]
RunStep = Callable[[StepDefinition, datetime], Coroutine[Any, Any, None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class CronScheduler:
    def __init__(
        self,
        steps: list[StepDefinition],
        run: RunStep,
        log_sink: LogSink,
        *,
        clock: Clock = utc_now,
        tz: tzinfo = UTC,
    ) -> None:
        self._steps = steps
        self._run = run
        self._log_sink = log_sink
        self._clock = clock
        self._tz = tz
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        for step in self._steps:
            self._tasks.append(asyncio.create_task(self._loop(step), name=f"cron:{step.name}"))

    async def _loop(self, step: StepDefinition) -> None:
        assert step.cron is not None
        expression = parse_cron(step.cron)
        while True:
            now = self._clock()
            slot = expression.next_after(now, self._tz)
            await asyncio.sleep(max(0.0, (slot - now).total_seconds()))
            current = self._running.get(step.name)
            if current is not None and not current.done():
                self._log_sink(
                    LogRecord(
                        level="warn",
                        msg=f"skipped the {slot.isoformat()} run: the previous run is still going",
                        step=step.name,
                        time_ms=int(time.time() * 1000),
                        flows=step.flows,
                    )
                )
                continue
            self._running[step.name] = asyncio.create_task(self._run(step, slot), name=f"cron-run:{step.name}")

    async def close(self) -> None:
        tasks = self._tasks + list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._running.clear()
