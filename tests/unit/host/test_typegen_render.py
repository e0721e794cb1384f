"""The two generated files, rendered from a registry built the way the host builds it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from stephost.config import StepDefinition, parse_step_config
from stephost.registry import Registry, build_registry
from stephost.streams.service import StreamDefinition
from stephost.typegen import PY_FILE, TS_FILE, render_python, render_typescript, write_types

ORDER = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
CONFIGS: list[dict[str, Any]] = [
    {
        "type": "api",
        "name": "create-order",
        "path": "/shops/:shop/orders/:id?",
        "method": "post",
        "emits": ["order.created", {"topic": "audit", "label": "x"}],
        "bodySchema": ORDER,
        "responseSchema": {"201": ORDER},
        "queryParams": [{"name": "dry-run"}],
    },
    {"type": "event", "name": "Notify", "subscribes": ["order.created"], "emits": [], "input": ORDER},
    {
        "type": "event",
        "name": "Bill",
        "subscribes": ["order.created"],
        "input": {"type": "object", "properties": {"total": {"type": "number"}}},
    },
    {"type": "event", "name": "Untyped", "subscribes": ["audit"], "emits": ["order.created"]},
    {"type": "cron", "name": "Tick", "cron": "* * * * *", "emits": ["nobody.listens"]},
    {"type": "noop", "name": "Drawn", "virtualEmits": ["x"], "virtualSubscribes": ["y"]},
]
STREAMS = {"chat-room": StreamDefinition("chat-room", "steps/chat.stream.ts", {"type": "object"})}


def registry() -> Registry:
    steps: list[StepDefinition] = []
    for config in CONFIGS:
        parsed = parse_step_config(config, file=f"steps/{config['name']}.step.ts", language="typescript")
        assert isinstance(parsed, StepDefinition), parsed
        steps.append(parsed)
    built, problems = build_registry(steps)
    assert problems == []
    return built


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_the_declarations_merge_handlers_and_streams_into_module_motia() -> None:
    text = squeeze(render_typescript(registry(), STREAMS))
    assert "declare module 'motia' {" in text
    assert '"create-order": ApiRouteHandler<' in text
    assert '"Notify": EventHandler<' in text and '"Tick": CronHandler<' in text
    assert '"Drawn"' not in text  # a noop step has no handler
    assert '"chat-room": MotiaStream<StreamItems["chat-room"]>' in text


def test_an_emit_is_typed_by_its_topic_and_a_topic_without_input_is_unknown_never_never() -> None:
    text = squeeze(render_typescript(registry(), STREAMS))
    emits = '{ topic: "order.created"; data: Topics["order.created"] } | { topic: "audit"; data: Topics["audit"] }'
    assert emits in text
    assert '"audit": unknown' in text  # subscribed, but without an input schema
    assert '"nobody.listens": unknown' in text  # emitted, never subscribed
    # Two subscribers with inputs: the data must satisfy both.
    assert '"order.created": { total?: number } & { id: string }' in text
    # A step without emits may emit nothing.
    assert '"Notify": EventHandler< { id: string }, never >' in text


def test_an_api_handler_has_typed_path_and_query_params_and_responses() -> None:
    text = squeeze(render_typescript(registry(), STREAMS))
    assert "ApiResponse<201, { id: string }>" in text
    assert (
        '{ shop: string; id?: string }, { "dry-run"?: string | string[] } & Record<string, string | string[]> >' in text
    )


def test_the_python_stubs_import_and_name_every_part() -> None:
    text = render_python(registry(), STREAMS)
    namespace: dict[str, Any] = {}
    exec(compile(text, PY_FILE, "exec"), namespace)
    for name in (
        "CreateOrderRequest",
        "CreateOrderBody",
        "CreateOrderPathParams",
        "CreateOrderResponse",
        "CreateOrderContext",
        "CreateOrderHandler",
        "NotifyInput",
        "OrderCreatedData",
        "OrderCreatedEvent",
        "AuditData",
        "TickContext",
        "ChatRoomStream",
        "Streams",
    ):
        assert name in namespace, name
    assert "DrawnContext" not in namespace
    # Both subscribers' inputs are TypedDicts without a conflicting key: one class with both bases.
    assert "class OrderCreatedData(BillInput, NotifyInput):" in text
    assert "AuditData: TypeAlias = Any" in text
    assert "def emit(self, event: Never) -> Any: ..." in text  # Notify emits nothing
    assert squeeze("""
    @overload
    def emit(self, event: OrderCreatedEvent) -> Any: ...
    @overload
    def emit(self, event: AuditEvent) -> Any: ...""") in squeeze(text)
    # `chat-room` is no identifier: reachable as streams["chat-room"] only.
    assert "def __getitem__(self, name: Literal['chat-room']) -> ChatRoomStream: ..." in text


def test_write_types_writes_both_files_and_leaves_unchanged_ones_alone(tmp_path: Path) -> None:
    paths = write_types(tmp_path, registry(), STREAMS)
    assert paths == [tmp_path / TS_FILE, tmp_path / PY_FILE]
    old = 1_000_000_000
    for path in paths:
        os.utime(path, (old, old))
    assert write_types(tmp_path, registry(), STREAMS) == paths
    assert [p.stat().st_mtime for p in paths] == [old, old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([TS_FILE, PY_FILE])  # no scratch file left


def test_an_empty_project_still_gets_valid_files() -> None:
    text = render_typescript(Registry(), {})
    assert "export interface Handlers {\n  }" in text
    namespace: dict[str, Any] = {}
    exec(compile(render_python(Registry(), {}), PY_FILE, "exec"), namespace)
    assert "BaseContext" in namespace
