"""Invocations run concurrently; Cancel and Drain end them with CANCELLED, once their threads let them."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from stephost_sdk.dispatcher import Dispatcher
from stephost_sdk.errors import StepError
from stephost_sdk.messages import CtxOp, Failed, Invocation, Ok, Outcome, Trigger

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


async def test_a_cancel_right_behind_its_invoke_is_answered_cancelled_and_the_handler_never_runs() -> None:
    # One HostBatch [Invoke, Cancel]: the cancel comes before the invocation's task first runs.
    ran: list[Any] = []

    async def recording(data: Any, context: Any) -> None:
        ran.append(data)

    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(recording, [], sink, tasks)
        dispatcher.invoke(event("gone", 1))
        dispatcher.cancel("gone", "caller gone")
        dispatcher.invoke(event("kept", 2))
        await asyncio.wait_for(dispatcher.drain(0), 5)  # nothing left running: the cancelled one ended too

    gone = sink.results["gone"]
    assert isinstance(gone, Failed)
    assert (gone.error.code, gone.error.message) == ("CANCELLED", "caller gone")
    assert sink.results["kept"] == Ok()
    assert ran == [2]


async def test_a_cancelled_plain_handler_is_answered_once_its_thread_has_ended() -> None:
    release = threading.Event()

    def blocking(data: Any, context: Any) -> None:
        release.wait(5)

    sink = Sink()
    try:
        async with asyncio.TaskGroup() as tasks:
            dispatcher = Dispatcher(blocking, [], sink, tasks)
            dispatcher.invoke(event("blocked", None))
            await asyncio.sleep(0.05)
            dispatcher.cancel("blocked", "deadline")
            await asyncio.sleep(0.3)
            # Still running as far as the host can tell, so it kills a worker whose thread never ends.
            assert sink.results == {}
            assert dispatcher.in_flight == 1
            release.set()
            await sink.arrived.wait()
    finally:
        release.set()

    blocked = sink.results["blocked"]
    assert isinstance(blocked, Failed)
    assert (blocked.error.code, blocked.error.message) == ("CANCELLED", "deadline")
    assert dispatcher.in_flight == 0


async def test_ctx_calls_of_a_cancelled_plain_handler_fail_with_cancelled_and_never_reach_the_host() -> None:
    cancelled = threading.Event()
    seen: list[str] = []

    def cooperative(data: Any, context: Any) -> None:
        cancelled.wait(5)
        try:
            context.state.get("g", "k")
        except StepError as exc:
            seen.append(exc.code)
            raise

    sink = Sink()
    try:
        async with asyncio.TaskGroup() as tasks:
            dispatcher = Dispatcher(cooperative, [], sink, tasks)
            dispatcher.invoke(event("cooperative", None))
            await asyncio.sleep(0.05)
            dispatcher.cancel("cooperative", "deadline")
            await asyncio.sleep(0.05)
            cancelled.set()
    finally:
        cancelled.set()

    assert seen == ["CANCELLED"]
    assert sink.calls == []
    result = sink.results["cooperative"]
    assert isinstance(result, Failed) and result.error.code == "CANCELLED"


class SilentSink(Sink):
    """A host that never answers ctx calls."""

    def call(self, invocation_id: str, op: CtxOp) -> asyncio.Future[Any]:
        self.calls.append((invocation_id, op))
        return asyncio.get_running_loop().create_future()


async def test_a_plain_handler_waiting_on_a_ctx_call_is_released_by_the_cancel() -> None:
    seen: list[str] = []

    def waiting(data: Any, context: Any) -> None:
        try:
            context.state.get("g", "k")
        except StepError as exc:
            seen.append(exc.code)
            raise

    sink = SilentSink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(waiting, [], sink, tasks)
        dispatcher.invoke(event("waiting", None))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        dispatcher.cancel("waiting", "client gone")
        await sink.arrived.wait()

    assert time.monotonic() - started < 1.0
    assert seen == ["CANCELLED"]
    result = sink.results["waiting"]
    assert isinstance(result, Failed) and (result.error.code, result.error.message) == ("CANCELLED", "client gone")


async def test_a_cancelled_invocation_waits_for_a_handler_thread_behind_plain_middleware() -> None:
    release = threading.Event()
    handler_ended = threading.Event()

    def middleware(req: Any, context: Any, next: Any) -> Any:
        return next()  # raises CANCELLED at the Cancel; the handler's thread runs on

    def blocking(req: Any, context: Any) -> Any:
        release.wait(5)
        handler_ended.set()
        return {"status": 200, "body": {}}

    sink = Sink()
    try:
        async with asyncio.TaskGroup() as tasks:
            dispatcher = Dispatcher(blocking, [middleware], sink, tasks)
            dispatcher.invoke(Invocation("api", Trigger.API, {}))
            await asyncio.sleep(0.05)
            dispatcher.cancel("api", "deadline")
            await asyncio.sleep(0.3)
            assert sink.results == {}
            release.set()
            await sink.arrived.wait()
            assert handler_ended.is_set()
    finally:
        release.set()

    result = sink.results["api"]
    assert isinstance(result, Failed) and result.error.code == "CANCELLED"


async def test_the_drain_deadline_does_not_wait_for_threads_that_never_end() -> None:
    release = threading.Event()

    def stuck(data: Any, context: Any) -> None:
        release.wait(10)

    sink = Sink()
    try:
        async with asyncio.TaskGroup() as tasks:
            dispatcher = Dispatcher(stuck, [], sink, tasks)
            dispatcher.invoke(event("cancelled-first", None))
            dispatcher.invoke(event("running", None))
            await asyncio.sleep(0.05)
            dispatcher.cancel("cancelled-first", "deadline")
            started = time.monotonic()
            await dispatcher.drain(int((time.time() + 0.5) * 1000))
            took = time.monotonic() - started
    finally:
        release.set()

    assert took < 1.0
    messages = {
        invocation_id: (outcome.error.code, outcome.error.message)
        for invocation_id, outcome in sink.results.items()
        if isinstance(outcome, Failed)
    }
    assert messages == {
        "cancelled-first": ("CANCELLED", "deadline"),
        "running": ("CANCELLED", "the drain deadline passed"),
    }


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


# ------------------------------------------------------------------ stream files


def can_access_of(invocation_id: str, group_id: str, auth_context: Any, item_id: str | None = None) -> Invocation:
    subscription: dict[str, Any] = {"groupId": group_id}
    if item_id is not None:
        subscription["id"] = item_id
    return Invocation(invocation_id, Trigger.CAN_ACCESS, {"subscription": subscription, "authContext": auth_context})


async def run_all(dispatcher_args: dict[str, Any], *invocations: Invocation) -> dict[str, Outcome]:
    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(dispatcher_args.pop("handler", None), [], sink, tasks, **dispatcher_args)
        for invocation in invocations:
            dispatcher.invoke(invocation)
    return sink.results


def value(outcome: Outcome) -> Any:
    assert isinstance(outcome, Ok) and outcome.value_json is not None, outcome
    return json.loads(outcome.value_json)


async def test_can_access_gets_the_subscription_and_auth_context_and_its_result_is_a_bool() -> None:
    seen: list[tuple[Any, ...]] = []

    async def can_access(*args: Any) -> Any:
        seen.append(args)
        return {"granted": 1} if args[1] else None

    results = await run_all(
        {"is_stream": True, "can_access": can_access},
        can_access_of("yes", "g", {"userId": "u"}, "item-1"),
        can_access_of("no", "g", None),
    )

    assert (value(results["yes"]), value(results["no"])) == (True, False)
    assert sorted(seen, key=repr) == sorted(
        [({"groupId": "g", "id": "item-1"}, {"userId": "u"}), ({"groupId": "g"}, None)], key=repr
    )


async def test_a_plain_can_access_runs_off_the_loop() -> None:
    threads: list[str] = []

    def can_access(subscription: dict[str, str], auth_context: Any) -> bool:
        threads.append(threading.current_thread().name)
        return subscription["groupId"] == "open"

    results = await run_all(
        {"is_stream": True, "can_access": can_access, "executor": None},
        can_access_of("open", "open", None),
        can_access_of("shut", "shut", None),
    )

    assert (value(results["open"]), value(results["shut"])) == (True, False)
    assert threads and threading.main_thread().name not in threads


async def test_a_stream_without_can_access_allows_everyone() -> None:
    results = await run_all({"is_stream": True}, can_access_of("any", "g", None))

    assert value(results["any"]) is True


async def test_a_raising_can_access_is_a_handler_error_with_the_stack() -> None:
    def can_access(subscription: Any, auth_context: Any) -> bool:
        raise PermissionError("not today")

    results = await run_all({"is_stream": True, "can_access": can_access}, can_access_of("boom", "g", None))

    boom = results["boom"]
    assert isinstance(boom, Failed)
    assert (boom.error.code, boom.error.name, boom.error.message) == ("HANDLER_ERROR", "PermissionError", "not today")
    # The user's frame is there; the SDK's own frames are trimmed.
    assert "test_dispatcher.py" in boom.error.stack
    assert "stephost_sdk" not in boom.error.stack


async def test_a_slow_can_access_can_be_cancelled() -> None:
    async def can_access(subscription: Any, auth_context: Any) -> bool:
        await asyncio.sleep(30)
        return True

    sink = Sink()
    async with asyncio.TaskGroup() as tasks:
        dispatcher = Dispatcher(None, [], sink, tasks, is_stream=True, can_access=can_access)
        dispatcher.invoke(can_access_of("slow", "g", None))
        await asyncio.sleep(0.05)
        dispatcher.cancel("slow", "deadline")

    slow = sink.results["slow"]
    assert isinstance(slow, Failed) and (slow.error.code, slow.error.message) == ("CANCELLED", "deadline")


async def test_each_trigger_is_refused_where_it_does_not_belong() -> None:
    on_step = await run_all(
        {"handler": handler},
        can_access_of("can-access-on-step", "g", None),
        Invocation("authenticate-on-step", Trigger.AUTHENTICATE, {"headers": {}, "url": "/"}),
    )
    on_stream = await run_all(
        {"is_stream": True},
        Invocation("event-on-stream", Trigger.EVENT, {}),
        Invocation("authenticate-on-stream", Trigger.AUTHENTICATE, {"headers": {}, "url": "/"}),
    )

    codes = {
        invocation_id: outcome.error.code
        for outcome_map in (on_step, on_stream)
        for invocation_id, outcome in outcome_map.items()
        if isinstance(outcome, Failed)
    }
    assert codes == {
        "can-access-on-step": "INTERNAL",
        "authenticate-on-step": "INTERNAL",
        "event-on-stream": "HANDLER_MISSING",
        "authenticate-on-stream": "INTERNAL",
    }
    event_on_stream = on_stream["event-on-stream"]
    assert isinstance(event_on_stream, Failed) and "stream file has no handler" in event_on_stream.error.message
