"""Runs cron steps on their schedule.

Each slot runs at most once (claimed in `CronSlots`, keyed by step and slot time,
so many hosts can tick together), never two runs of one step at once, on this host
or any other (an overlapping slot is skipped and logged; the run lock is shared in
`CronSlots` and leased for the run's timeout so a dead host cannot hold it), and
slots missed while the host was down are reported, not replayed. A slot whose
claim cannot be stored (Redis down) is skipped with a warning, not retried late.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, tzinfo
from typing import Any

from stephost.config import StepDefinition
from stephost.cron.base import CronSlots
from stephost.cron.expression import CronExpression, parse_cron
from stephost.errors import StorageUnavailable
from stephost.types import LogRecord, LogSink

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
RunStep = Callable[[StepDefinition, datetime], Coroutine[Any, Any, None]]
MAX_MISSED_COUNTED = 10_000
DEFAULT_RUN_LEASE_S = 310.0  # the default cron timeout, plus the kill grace


def utc_now() -> datetime:
    return datetime.now(UTC)


def count_missed(expression: CronExpression, last: datetime, now: datetime, tz: tzinfo) -> int:
    """Slots strictly between `last` and `now` (bounded: a long outage is 'at least' this many)."""
    missed = 0
    slot = expression.next_after(last, tz)
    while slot < now and missed < MAX_MISSED_COUNTED:
        missed += 1
        slot = expression.next_after(slot, tz)
    return missed


class CronScheduler:
    def __init__(
        self,
        steps: list[StepDefinition],
        run: RunStep,
        log_sink: LogSink,
        slots: CronSlots,
        *,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        tz: tzinfo = UTC,
        run_lease_s: Callable[[StepDefinition], float] = lambda step: DEFAULT_RUN_LEASE_S,
    ) -> None:
        """`run_lease_s(step)`: how long a run may hold the step's run lock (its timeout and some)."""
        self._steps = steps
        self._run = run
        self._log_sink = log_sink
        self._slots = slots
        self._clock = clock
        self._sleep = sleep
        self._tz = tz
        self._run_lease_s = run_lease_s
        self._tasks: dict[str, tuple[str, asyncio.Task[None]]] = {}  # step -> (its cron, its loop)
        self._current: dict[str, StepDefinition] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

    def _log(self, step: StepDefinition, level: str, msg: str) -> None:
        self._log_sink(
            LogRecord(level=level, msg=msg, step=step.name, time_ms=int(time.time() * 1000), flows=step.flows)
        )

    async def start(self) -> None:
        await self.update(self._steps)

    async def update(self, steps: list[StepDefinition]) -> None:
        """Schedule exactly these steps (`dev` reloads call it again): a new or re-timed step
        gets a fresh loop, a removed one's loop stops (a run already going finishes)."""
        wanted = {step.name: step for step in steps}
        for name, (cron, task) in list(self._tasks.items()):
            step = wanted.get(name)
            if step is None or step.cron != cron:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                del self._tasks[name]
        self._steps = steps
        self._current = wanted
        for step in steps:
            if step.name in self._tasks:
                continue
            assert step.cron is not None
            expression = parse_cron(step.cron)
            last = await self._slots.last_claimed(step.name)
            if last is not None:
                missed = count_missed(expression, last, self._clock(), self._tz)
                if missed:
                    more = "at least " if missed >= MAX_MISSED_COUNTED else ""
                    self._log(
                        step,
                        "warn",
                        f"missed {more}{missed} run(s) since {last.isoformat()} while no host was up; "
                        "they are not replayed",
                    )
            self._tasks[step.name] = (
                step.cron,
                asyncio.create_task(self._loop(step, expression), name=f"cron:{step.name}"),
            )

    async def _loop(self, step: StepDefinition, expression: CronExpression) -> None:
        last_slot: datetime | None = None
        while True:
            now = self._clock()
            # Never the same slot twice, even if a sleep wakes a little early.
            after = now if last_slot is None or now > last_slot else last_slot
            slot = expression.next_after(after, self._tz)
            await self._sleep(max(0.0, (slot - self._clock()).total_seconds()))
            last_slot = slot
            current = self._running.get(step.name)
            if current is not None and not current.done():
                self._log(step, "warn", f"skipped the {slot.isoformat()} run: the previous run is still going")
                continue
            run_id = uuid.uuid4().hex
            try:
                if not await self._slots.claim(step.name, slot):
                    continue  # another host took this slot
                if not await self._slots.begin_run(step.name, run_id, self._run_lease_s(step)):
                    self._log(
                        step,
                        "warn",
                        f"skipped the {slot.isoformat()} run: the previous run is still going on another host",
                    )
                    continue
            except StorageUnavailable as exc:
                self._log(step, "warn", f"skipped the {slot.isoformat()} run: {exc.message}")
                continue
            self._running[step.name] = asyncio.create_task(
                # the step as it is now: a reload may have changed its timeout, say
                self._run_holding_lock(self._current.get(step.name, step), slot, run_id),
                name=f"cron-run:{step.name}",
            )

    async def _run_holding_lock(self, step: StepDefinition, slot: datetime, run_id: str) -> None:
        try:
            await self._run(step, slot)
        finally:
            # Unreleased (store down, host killed), the lock lapses with its lease.
            with contextlib.suppress(StorageUnavailable):
                await self._slots.end_run(step.name, run_id)

    async def close(self) -> None:
        tasks = [task for _, task in self._tasks.values()] + list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._running.clear()
