"""Invocations run concurrently; Cancel and Drain end them with CANCELLED."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from stephost_sdk.dispatcher import Dispatcher
from stephost_sdk.messages import Failed, Invocation, Ok, Outcome, Trigger

from .fakes import FakeChannel


class Sink(FakeChannel):
    def __init__(self) -> None:
        super().__init__()
        self.results: dict[str, Outcome] = {}
        self.arrived = asyncio.Event()

    def send_result(self, invocation_id: str, outcome: Outcome) -> None:
        self.results[invocation_id] = outcome
        self.arrived.set()


def event(invocation_id: str, data: Any) -> Invocation:
    return Invocation(invocation_id, Trigger.EVENT, data)


async def handler(data: Any, context: Any) -> None:
    await asyncio.sleep(data)


async def test_a_cancelled_invocation_answers_cancelled_with_the_hosts_reason() -> None:
    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(handler, [], sink, tasks)
        dispatcher.invoke(event("slow", 30))
        dispatcher.invoke(event("fast", 0))
        await asyncio.sleep(0.05)
        dispatcher.cancel("slow", "deadline")

    assert sink.results["fast"] == Ok()
    slow = sink.results["slow"]
    assert isinstance(slow, Failed)
    assert (slow.error.code, slow.error.message) == ("CANCELLED", "deadline")


async def test_a_plain_handler_blocking_its_thread_can_be_cancelled() -> None:
    def blocking(data: Any, context: Any) -> None:
        time.sleep(0.5)

    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(blocking, [], sink, tasks)
        dispatcher.invoke(event("blocked", None))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        dispatcher.cancel("blocked", "client gone")
        await sink.arrived.wait()

    assert time.monotonic() - started < 0.4, "the result does not wait for the thread"
    assert isinstance(sink.results["blocked"], Failed)
    assert sink.results["blocked"].error.code == "CANCELLED"


async def test_drain_refuses_new_work_and_waits_for_in_flight_invocations() -> None:
    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(handler, [], sink, tasks)
        dispatcher.invoke(event("in-flight", 0.1))
        drain = tasks.create_task(dispatcher.drain(0))
        await asyncio.sleep(0)
        dispatcher.invoke(event("late", 0))
        await drain

    assert sink.results["in-flight"] == Ok()
    late = sink.results["late"]
    assert isinstance(late, Failed) and late.error.code == "CANCELLED"
    assert dispatcher.in_flight == 0


async def test_drain_cancels_what_is_still_running_at_the_deadline() -> None:
    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(handler, [], sink, tasks)
        dispatcher.invoke(event("stuck", 30))
        started = time.monotonic()
        await dispatcher.drain(int((time.time() + 0.5) * 1000))

    assert time.monotonic() - started < 1.0
    stuck = sink.results["stuck"]
    assert isinstance(stuck, Failed)
    assert (stuck.error.code, stuck.error.message) == ("CANCELLED", "the drain deadline passed")


async def test_a_noop_step_answers_every_invoke_with_handler_missing() -> None:
    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        Dispatcher(None, [], sink, tasks).invoke(event("noop", None))

    noop = sink.results["noop"]
    assert isinstance(noop, Failed) and noop.error.code == "HANDLER_MISSING"
