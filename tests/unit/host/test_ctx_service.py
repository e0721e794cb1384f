"""The host's side of ctx calls, on the memory adapters (no workers involved)."""

from __future__ import annotations

from typing import Any

import pytest

from stephost import errors
from stephost.bus.base import Delivery
from stephost.bus.dispatcher import Dispatcher, Subscription
from stephost.bus.memory import MemoryQueueStore
from stephost.config import StepDefinition, parse_step_config
from stephost.ctx import CtxService
from stephost.errors import CtxRefused
from stephost.registry import build_registry
from stephost.state.memory import MemoryStateStore
from stephost.streams.feed import LocalFeed
from stephost.streams.hub import StreamHub
from stephost.streams.memory import MemoryStreamStore
from stephost.streams.service import StreamDefinition, StreamService
from stephost.types import EmitRequest, Invocation, LogRecord, StateRequest, StreamRequest, Trigger


def step(config: dict[str, Any]) -> StepDefinition:
    parsed = parse_step_config(config, file="steps/x", language="python")
    assert isinstance(parsed, StepDefinition), parsed
    return parsed


EMITTER = step({"type": "api", "name": "Emitter", "path": "/e", "method": "POST", "emits": ["order.created", "lonely"]})
SUBSCRIBER = step(
    {
        "type": "event",
        "name": "Store",
        "subscribes": ["order.created"],
        "emits": [],
        "input": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
    }
)
INVOCATION = Invocation(trigger=Trigger.API, payload={}, trace_id="trace-1")


@pytest.fixture
async def harness() -> Any:
    registry, problems = build_registry([EMITTER, SUBSCRIBER])
    assert problems == []
    delivered: list[Delivery] = []
    logs: list[LogRecord] = []

    async def deliver(d: Delivery) -> None:
        delivered.append(d)

    bus = Dispatcher(MemoryQueueStore(), deliver)
    await bus.start([Subscription(SUBSCRIBER.name, SUBSCRIBER.queue)])
    streams = StreamService(
        MemoryStreamStore(), LocalFeed(StreamHub()), {"chat": StreamDefinition("chat", "steps/chat.stream.ts")}
    )
    service = CtxService(registry, MemoryStateStore(), bus, streams, logs.append)
    yield service, bus, delivered, logs
    await bus.close()


async def test_an_emit_reaches_each_subscriber_with_the_emitters_trace(harness: Any) -> None:
    service, bus, delivered, _ = harness
    await service(EMITTER, INVOCATION, EmitRequest("order.created", {"id": "o1"}, None))
    await bus.drain()
    assert [(d.step, d.event.data, d.event.trace_id) for d in delivered] == [("Store", {"id": "o1"}, "trace-1")]


async def test_an_undeclared_topic_is_refused_naming_step_and_topic_and_nothing_is_enqueued(harness: Any) -> None:
    service, bus, delivered, _ = harness
    with pytest.raises(CtxRefused) as caught:
        await service(EMITTER, INVOCATION, EmitRequest("order.deleted", {}, None))
    assert caught.value.code == errors.EMIT_NOT_DECLARED
    assert "'Emitter' may not emit 'order.deleted'" in caught.value.message
    await bus.drain()
    assert delivered == []


async def test_data_that_breaks_a_subscribers_input_is_refused_with_the_schema_errors(harness: Any) -> None:
    service, bus, delivered, _ = harness
    with pytest.raises(CtxRefused) as caught:
        await service(EMITTER, INVOCATION, EmitRequest("order.created", {"id": 5}, None))
    assert caught.value.code == errors.INVALID_EMIT_DATA
    assert "Store: data.id: 5 is not of type 'string'" in caught.value.message
    await bus.drain()
    assert delivered == []


async def test_a_topic_without_subscribers_is_a_warning_not_an_error(harness: Any) -> None:
    service, _, _, logs = harness
    await service(EMITTER, INVOCATION, EmitRequest("lonely", 1, None))
    assert [(r.level, r.msg) for r in logs] == [("warn", "emitted 'lonely', but no step subscribes to it")]


async def test_state_calls_reach_the_store_and_need_a_group(harness: Any) -> None:
    service = harness[0]
    assert await service(EMITTER, INVOCATION, StateRequest("set", "g", "k", 0)) == 0
    assert await service(EMITTER, INVOCATION, StateRequest("get", "g", "k")) == 0
    with pytest.raises(CtxRefused, match="non-empty group"):
        await service(EMITTER, INVOCATION, StateRequest("get", "", "k"))


async def test_an_unknown_stream_is_refused(harness: Any) -> None:
    with pytest.raises(CtxRefused) as caught:
        await harness[0](EMITTER, INVOCATION, StreamRequest("get", "nope", "g", "i"))
    assert caught.value.code == errors.STREAM_NOT_FOUND


async def test_stream_calls_store_items_with_their_id_and_need_a_group_and_id(harness: Any) -> None:
    service = harness[0]
    item = await service(EMITTER, INVOCATION, StreamRequest("set", "chat", "room1", "m1", {"text": "hi"}))
    assert item == {"text": "hi", "id": "m1"}
    assert await service(EMITTER, INVOCATION, StreamRequest("get_group", "chat", "room1", "")) == [item]
    with pytest.raises(CtxRefused, match="needs a non-empty id"):
        await service(EMITTER, INVOCATION, StreamRequest("get", "chat", "room1", ""))
    with pytest.raises(CtxRefused, match="needs an event"):
        await service(EMITTER, INVOCATION, StreamRequest("send", "chat", "room1", "", "not-an-event"))
