"""The ctx API from async handlers (awaitables) and plain ones (values, in a thread)."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from typing import Any

import pytest

from stephost_sdk.bridge import Bridge
from stephost_sdk.context import Context
from stephost_sdk.errors import CANCELLED, EMIT_NOT_DECLARED, INVALID_ARGUMENT, StepError
from stephost_sdk.invoke import run_invocation
from stephost_sdk.messages import (
    ApiResponse,
    BodyKind,
    CtxOp,
    EmitCall,
    Failed,
    Invocation,
    Ok,
    StateCall,
    StateOp,
    StreamCall,
    StreamOp,
    Trigger,
)

from .fakes import FakeChannel


def store(op: CtxOp) -> Any:
    """Answers like a host: SET returns the value, GET_GROUP a list, the rest null."""
    if isinstance(op, StateCall) and op.op is StateOp.SET:
        return json.loads(op.value_json)
    if isinstance(op, StateCall) and op.op is StateOp.GET:
        return 0  # a falsy value that must come back as it is
    if isinstance(op, StreamCall) and op.op is StreamOp.SET:
        return {**json.loads(op.data_json), "id": op.id}
    if isinstance(op, StateCall) and op.op is StateOp.GET_GROUP:
        return [1, 2]
    return None


def make_context(channel: FakeChannel, **fields: Any) -> tuple[Context, Bridge]:
    bridge = Bridge(asyncio.get_running_loop())
    invocation = Invocation("inv-1", Trigger.EVENT, None, trace_id="trace-1", attempt=2, event_id="ev-1", **fields)
    return Context(invocation, channel, bridge, stream_names=("todos",)), bridge


async def test_context_exposes_trace_attempt_and_event_id_in_both_spellings() -> None:
    context, _ = make_context(FakeChannel(), flows=("orders",))

    assert (context.trace_id, context.traceId) == ("trace-1", "trace-1")
    assert (context.event_id, context.eventId) == ("ev-1", "ev-1")
    assert context.attempt == 2
    assert context.flows == ["orders"]


async def test_ctx_methods_return_awaitables_on_the_loop() -> None:
    channel = FakeChannel(store)
    context, _ = make_context(channel)

    pending = context.state.set("orders", "a", {"n": 1})

    assert inspect.isawaitable(pending)
    assert await pending == {"n": 1}
    assert await context.state.get("orders", "a") == 0
    assert await context.state.getGroup("orders") == [1, 2]
    assert channel.calls[0] == ("inv-1", StateCall(StateOp.SET, "orders", "a", b'{"n":1}'))


async def test_a_plain_handler_runs_in_a_thread_and_ctx_calls_return_values() -> None:
    channel = FakeChannel(store)
    context, bridge = make_context(channel)
    seen: dict[str, Any] = {}

    def handler(data: Any, context: Context) -> None:
        seen["thread"] = threading.current_thread()
        seen["set"] = context.state.set("orders", "a", [data])
        seen["get"] = context.state.get("orders", "a")
        seen["item"] = context.streams.todos.set("g", "1", {"done": False})
        seen["emit"] = context.emit({"topic": "order.created", "data": data})
        context.logger.warning("from a thread", "plain")

    await bridge.call_user(handler, "x", context)
    await asyncio.sleep(0)  # the log record is posted to the loop

    assert seen["thread"] is not threading.main_thread()
    assert seen["set"] == ["x"]
    assert seen["get"] == 0
    assert seen["item"] == {"done": False, "id": "1"}
    assert seen["emit"] is None
    assert channel.calls[3][1] == EmitCall("order.created", b'"x"', "")
    assert [(r.level, r.msg, json.loads(r.fields_json)) for r in channel.logs] == [
        ("warn", "from a thread", {"data": "plain"})
    ]


async def test_a_ctx_error_reaches_a_plain_handler_as_a_step_error() -> None:
    def refuse(op: CtxOp) -> Any:
        raise StepError(EMIT_NOT_DECLARED, "step X may not emit y")

    context, bridge = make_context(FakeChannel(refuse))

    def handler(data: Any, context: Context) -> None:
        context.emit({"topic": "y", "data": None})

    with pytest.raises(StepError) as raised:
        await bridge.call_user(handler, None, context)
    assert raised.value.code == EMIT_NOT_DECLARED


async def test_an_unawaited_ctx_call_still_happens_before_the_invocation_ends() -> None:
    channel = FakeChannel(store)
    context, _ = make_context(channel)

    context.state.set("orders", "a", 1)  # forgotten await, as Motia code sometimes has
    await context.settle()

    assert [op for _, op in channel.calls] == [StateCall(StateOp.SET, "orders", "a", b"1")]


async def test_a_value_json_cannot_carry_is_an_invalid_argument() -> None:
    context, _ = make_context(FakeChannel())

    with pytest.raises(StepError) as raised:
        context.state.set("g", "k", object())
    assert raised.value.code == INVALID_ARGUMENT


async def test_a_closed_context_refuses_calls_from_threads_with_cancelled() -> None:
    context, bridge = make_context(FakeChannel(store))
    context.close()

    def handler(data: Any, context: Context) -> None:
        context.state.get("g", "k")

    with pytest.raises(StepError) as raised:
        await bridge.call_user(handler, None, context)
    assert raised.value.code == CANCELLED


async def test_plain_and_async_middleware_run_in_order_and_next_returns_the_response() -> None:
    order: list[str] = []

    def plain(req: Any, context: Any, next: Any) -> Any:
        order.append("plain")
        req.user = "u1"
        response = next()  # from a thread: the response itself, not an awaitable
        response["headers"] = {"x-plain": "1"}
        return response

    async def asynchronous(req: Any, context: Any, next: Any) -> Any:
        order.append("async")
        return await next()

    def handler(req: Any, context: Any) -> Any:
        order.append("handler")
        return {"status": 200, "body": {"user": req.user}}

    channel = FakeChannel()
    loop = asyncio.get_running_loop()
    bridge = Bridge(loop)
    invocation = Invocation("inv-2", Trigger.API, {"body": None})
    context = Context(invocation, channel, bridge)

    outcome = await run_invocation(handler, [plain, asynchronous], invocation, context, bridge)

    assert order == ["plain", "async", "handler"]
    assert outcome == Ok(ApiResponse(200, (("x-plain", "1"),), BodyKind.JSON, b'{"user":"u1"}'))


async def test_middleware_can_answer_without_calling_next() -> None:
    async def deny(req: Any, context: Any, next: Any) -> Any:
        return {"status": 401, "body": "no"}

    def handler(req: Any, context: Any) -> Any:
        raise AssertionError("not reached")

    bridge = Bridge(asyncio.get_running_loop())
    invocation = Invocation("inv-3", Trigger.API, {})
    outcome = await run_invocation(handler, [deny], invocation, Context(invocation, FakeChannel(), bridge), bridge)

    assert outcome == Ok(ApiResponse(401, (), BodyKind.TEXT, b"no"))


async def test_a_raising_handler_is_a_handler_error_with_class_and_traceback() -> None:
    def handler(context: Any) -> None:
        raise KeyError("missing")

    bridge = Bridge(asyncio.get_running_loop())
    invocation = Invocation("inv-4", Trigger.CRON, None)
    outcome = await run_invocation(handler, [], invocation, Context(invocation, FakeChannel(), bridge), bridge)

    assert isinstance(outcome, Failed)
    assert (outcome.error.code, outcome.error.name, outcome.error.message) == (
        "HANDLER_ERROR",
        "KeyError",
        "'missing'",
    )
    assert "Traceback" in outcome.error.stack and "raise KeyError" in outcome.error.stack


async def test_a_handler_error_stack_shows_the_users_frames_not_the_sdks() -> None:
    def fails_in_a_ctx_call(data: Any, context: Context) -> None:
        context.emit({"topic": "undeclared", "data": None})

    def refuse(op: CtxOp) -> Any:
        raise StepError(EMIT_NOT_DECLARED, "step S may not emit 'undeclared'")

    bridge = Bridge(asyncio.get_running_loop())
    invocation = Invocation("inv-5", Trigger.EVENT, None)
    context = Context(invocation, FakeChannel(refuse), bridge)

    outcome = await run_invocation(fails_in_a_ctx_call, [], invocation, context, bridge)

    assert isinstance(outcome, Failed)
    assert (outcome.error.code, outcome.error.name) == ("HANDLER_ERROR", "StepError")
    assert "EMIT_NOT_DECLARED" in outcome.error.message
    assert "fails_in_a_ctx_call" in outcome.error.stack
    assert "stephost_sdk" not in outcome.error.stack.replace("stephost_sdk.errors.StepError", "")
    assert "concurrent" not in outcome.error.stack


async def test_streams_are_reached_by_attribute_and_by_name() -> None:
    channel = FakeChannel(store)
    context, _ = make_context(channel)

    assert context.streams.todos is context.streams["todos"]
    assert "todos" in context.streams and list(context.streams) == ["todos"]
    assert await context.streams["todos"].set("inbox", "t1", {"done": True}) == {"done": True, "id": "t1"}
    await context.streams.todos.send({"groupId": "inbox"}, {"type": "ping", "data": {"n": 1}})

    assert channel.calls[-1][1] == StreamCall(StreamOp.SEND, "todos", "inbox", "", b'{"type":"ping","data":{"n":1}}')


async def test_ctx_calls_work_as_tasks_and_from_a_threads_own_event_loop() -> None:
    channel = FakeChannel(store)
    context, bridge = make_context(channel)

    assert await asyncio.create_task(context.state.set("g", "k", "v")) == "v"

    def plain_handler_running_its_own_loop(data: Any, context: Context) -> Any:
        async def inner() -> Any:
            return await context.state.get("g", "k")

        return asyncio.run(inner())

    assert await bridge.call_user(plain_handler_running_its_own_loop, None, context) == 0
