"""The cron scheduler on a fake clock: slots, overlap, missed runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from stephost.config import StepDefinition
from stephost.cron.expression import parse_cron
from stephost.cron.memory import MemoryCronSlots
from stephost.cron.scheduler import CronScheduler, count_missed
from stephost.errors import StorageUnavailable
from stephost.types import LogRecord

START = datetime(2026, 3, 1, 10, 0, 0, 500_000, tzinfo=UTC)


class FakeClock:
    """Time moves only when the scheduler sleeps; each sleep lands exactly on its target."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


def cron_step(expr: str, name: str = "Tick") -> StepDefinition:
    return StepDefinition(name=name, type="cron", file="steps/t", language="python", cron=expr)


async def run_scheduler(
    steps: list[StepDefinition], clock: FakeClock, slots: MemoryCronSlots, runs: list[datetime], *, hold: float = 0
) -> list[LogRecord]:
    logs: list[LogRecord] = []

    async def run(step: StepDefinition, slot: datetime) -> None:
        runs.append(slot)
        if hold:
            await asyncio.Event().wait()  # never finishes: the next slots overlap

    scheduler = CronScheduler(steps, run, logs.append, slots, clock=clock, sleep=clock.sleep)
    await scheduler.start()
    for _ in range(50):
        await asyncio.sleep(0)
    await scheduler.close()
    return logs


async def test_each_slot_runs_once_in_order() -> None:
    clock = FakeClock(START)
    runs: list[datetime] = []
    await run_scheduler([cron_step("* * * * * *")], clock, MemoryCronSlots(), runs)
    assert len(runs) >= 5
    assert runs[:3] == [START.replace(microsecond=0) + timedelta(seconds=s) for s in (1, 2, 3)]
    assert len(set(runs)) == len(runs)


async def test_a_slot_already_claimed_by_another_host_is_not_run_again() -> None:
    clock = FakeClock(START)
    slots = MemoryCronSlots()
    first_slot = START.replace(microsecond=0) + timedelta(seconds=1)
    assert await slots.claim("Tick", first_slot)  # the other host got there first
    runs: list[datetime] = []
    await run_scheduler([cron_step("* * * * * *")], clock, slots, runs)
    assert first_slot not in runs
    assert runs[0] == first_slot + timedelta(seconds=1)


async def test_an_overlapping_slot_is_skipped_and_logged() -> None:
    clock = FakeClock(START)
    runs: list[datetime] = []
    logs = await run_scheduler([cron_step("* * * * * *")], clock, MemoryCronSlots(), runs, hold=1)
    assert len(runs) == 1
    skipped = [r.msg for r in logs if "skipped" in r.msg]
    assert skipped and "the previous run is still going" in skipped[0]


async def test_runs_missed_while_down_are_reported_not_replayed() -> None:
    clock = FakeClock(START)
    slots = MemoryCronSlots()
    await slots.claim("Tick", START - timedelta(minutes=10))
    runs: list[datetime] = []
    logs = await run_scheduler([cron_step("* * * * *")], clock, slots, runs)
    assert [r.msg for r in logs if "missed" in r.msg] == [
        "missed 10 run(s) since 2026-03-01T09:50:00.500000+00:00 while no host was up; they are not replayed"
    ]
    assert all(slot > START for slot in runs)


def test_missed_slots_are_counted_between_two_instants() -> None:
    expression = parse_cron("*/15 * * * *")
    last = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert count_missed(expression, last, last + timedelta(minutes=14), UTC) == 0
    assert count_missed(expression, last, last + timedelta(minutes=61), UTC) == 4


async def test_a_run_still_going_on_another_host_makes_this_host_skip_the_slot() -> None:
    clock = FakeClock(START)
    slots = MemoryCronSlots()
    assert await slots.begin_run("Tick", "other-hosts-run", lease_s=3600)  # never released here
    runs: list[datetime] = []
    logs = await run_scheduler([cron_step("* * * * * *")], clock, slots, runs)
    assert runs == []
    assert "the previous run is still going on another host" in logs[0].msg
    await slots.end_run("Tick", "other-hosts-run")
    assert await slots.begin_run("Tick", "next", lease_s=1)


async def test_runs_release_the_run_lock_when_they_end() -> None:
    clock = FakeClock(START)
    slots = MemoryCronSlots()
    runs: list[datetime] = []
    await run_scheduler([cron_step("* * * * * *")], clock, slots, runs)
    # each run took the lock (leased for 310 s) and released it, or the next would have been skipped
    assert len(runs) >= 5


class DownSlots(MemoryCronSlots):
    """Slots whose store is unreachable, as a Redis outage looks to the scheduler."""

    async def claim(self, step: str, slot: datetime) -> bool:
        raise StorageUnavailable("Redis at redis://127.0.0.1:6379/0 is unavailable (cron claim): refused")


async def test_a_slot_that_cannot_be_claimed_is_skipped_with_a_warning_and_the_scheduler_lives_on() -> None:
    clock = FakeClock(START)
    runs: list[datetime] = []
    logs = await run_scheduler([cron_step("* * * * * *")], clock, DownSlots(), runs)
    assert runs == []
    warnings = [r.msg for r in logs if r.level == "warn"]
    assert len(warnings) >= 3  # one per slot: the loop kept ticking
    assert "is unavailable (cron claim)" in warnings[0]
