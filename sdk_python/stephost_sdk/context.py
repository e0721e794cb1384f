"""The `context` a handler receives: trace data, logger, emit, state and streams.

Every ctx operation becomes a CtxCall through a `CtxChannel` (the connection in
the worker, a fake in tests). Called from a coroutine, a method returns a
coroutine whose call is already on its way: a Motia step that forgot `await`
on `state.set` still stores the value, and the invocation's result is held back
until such calls are answered (see `Context.settle`). Called from a plain
handler's thread, the method blocks and returns the value (see bridge.py).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import Any, Protocol

from . import encoding
from ._pydantic import is_model
from .bridge import Bridge
from .errors import INVALID_ARGUMENT, StepError
from .messages import (
    CtxOp,
    EmitCall,
    Invocation,
    LogRecord,
    StateCall,
    StateOp,
    StreamCall,
    StreamOp,
)


class CtxChannel(Protocol):
    """Where ctx operations go. Both methods are called on the event loop only."""

    def call(self, invocation_id: str, op: CtxOp) -> asyncio.Future[Any]:
        """Send `op`; the future resolves with the decoded reply value or raises StepError."""
        ...

    def log(self, record: LogRecord) -> None:
        """Send a log record; never answered."""
        ...


class _Calls:
    """Sends one invocation's ctx calls and remembers those not yet answered."""

    def __init__(self, invocation_id: str, channel: CtxChannel, bridge: Bridge) -> None:
        self.invocation_id = invocation_id
        self.channel = channel
        self.bridge = bridge
        self.pending: set[asyncio.Future[Any]] = set()
        self.handles: list[Coroutine[Any, Any, Any]] = []

    def call(self, op: CtxOp) -> Any:
        return self.bridge.run(lambda: self._start(op))

    def _start(self, op: CtxOp) -> Coroutine[Any, Any, Any]:
        # The call is sent now; the caller gets a coroutine (not the future)
        # so that asyncio.create_task(context.emit(...)) works as with Motia.
        future = self.channel.call(self.invocation_id, op)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        handle = _result_of(future)
        self.handles.append(handle)
        return handle

    def forget_unawaited(self) -> None:
        """Close the coroutines nobody awaited, so Python does not warn about
        them: forgetting `await` is a Motia habit this SDK tolerates."""
        handles, self.handles = self.handles, []
        for handle in handles:
            if inspect.getcoroutinestate(handle) == inspect.CORO_CREATED:
                handle.close()


async def _result_of(future: asyncio.Future[Any]) -> Any:
    return await future


def _encode(value: Any, what: str) -> bytes:
    try:
        return encoding.dumps(value)
    except (TypeError, ValueError) as exc:
        raise StepError(INVALID_ARGUMENT, f"{what} is not JSON-serialisable: {exc}") from None


def _require_str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise StepError(INVALID_ARGUMENT, f"{what} must be a non-empty string, got {value!r}")
    return value


class Logger:
    """Structured logging: each call sends one Log record to the host.

    `fields` is a dict of extra fields; anything else is sent as {"data": fields}.
    Logging never raises, whatever the fields hold.
    """

    def __init__(self, calls: _Calls, clock: Callable[[], float] = time.time) -> None:
        self._calls = calls
        self._clock = clock

    def debug(self, msg: Any, fields: Any = None) -> None:
        self._log("debug", msg, fields)

    def info(self, msg: Any, fields: Any = None) -> None:
        self._log("info", msg, fields)

    def warn(self, msg: Any, fields: Any = None) -> None:
        self._log("warn", msg, fields)

    def warning(self, msg: Any, fields: Any = None) -> None:
        """Python's spelling of `warn`; sent with level "warn"."""
        self._log("warn", msg, fields)

    def error(self, msg: Any, fields: Any = None) -> None:
        self._log("error", msg, fields)

    def _log(self, level: str, msg: Any, fields: Any) -> None:
        record = LogRecord(
            invocation_id=self._calls.invocation_id,
            level=level,
            msg=msg if isinstance(msg, str) else str(msg),
            fields_json=_fields_json(fields),
            time_unix_ms=int(self._clock() * 1000),
        )
        channel = self._calls.channel
        self._calls.bridge.call_soon(lambda: channel.log(record))


def _fields_json(fields: Any) -> bytes:
    if fields is None:
        return b""
    if is_model(fields):
        fields = fields.model_dump(mode="json")
    if not isinstance(fields, Mapping):
        fields = {"data": fields}
    return encoding.dumps_lenient(dict(fields))


class State:
    """The shared key-value store. Values come back exactly as stored."""

    def __init__(self, calls: _Calls) -> None:
        self._calls = calls

    def get(self, group: str, key: str) -> Any:
        """The value under `group`/`key`, or None."""
        return self._calls.call(StateCall(StateOp.GET, _require_str(group, "state group"), _key(key)))

    def set(self, group: str, key: str, value: Any) -> Any:
        """Store `value` (any JSON value) and return it."""
        payload = _encode(value, f"state value for {group}/{key}")
        return self._calls.call(StateCall(StateOp.SET, _require_str(group, "state group"), _key(key), payload))

    def delete(self, group: str, key: str) -> Any:
        """Remove `group`/`key` and return the old value, or None."""
        return self._calls.call(StateCall(StateOp.DELETE, _require_str(group, "state group"), _key(key)))

    def get_group(self, group: str) -> Any:
        """Every value of `group`, as a list."""
        return self._calls.call(StateCall(StateOp.GET_GROUP, _require_str(group, "state group")))

    def getGroup(self, group: str) -> Any:
        return self.get_group(group)

    def clear(self, group: str) -> Any:
        """Remove every key of `group`."""
        return self._calls.call(StateCall(StateOp.CLEAR, _require_str(group, "state group")))


def _key(key: Any) -> str:
    # Keys are strings on the wire; ints are common (`state.set("orders", 42, ...)`).
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    return _require_str(key, "state key")


class Stream:
    """One stream, as `context.streams.<name>`."""

    def __init__(self, name: str, calls: _Calls) -> None:
        self._name = name
        self._calls = calls

    @property
    def name(self) -> str:
        return self._name

    def get(self, group_id: str, id: str) -> Any:
        """The item `id` of `group_id`, or None."""
        return self._call(StreamOp.GET, group_id, id)

    def set(self, group_id: str, id: str, data: Any) -> Any:
        """Store `data` as item `id`; returns the item with its `id`."""
        return self._call(StreamOp.SET, group_id, id, _encode(data, f"stream {self._name} item"))

    def delete(self, group_id: str, id: str) -> Any:
        """Remove item `id`; returns the old item, or None."""
        return self._call(StreamOp.DELETE, group_id, id)

    def get_group(self, group_id: str) -> Any:
        """Every item of `group_id`, as a list."""
        return self._call(StreamOp.GET_GROUP, group_id)

    def getGroup(self, group_id: str) -> Any:
        return self.get_group(group_id)

    def send(self, channel: Mapping[str, Any], event: Mapping[str, Any]) -> Any:
        """Send `event` ({"type", "data"}) to the subscribers of `channel` ({"groupId", "id"?})."""
        if not isinstance(channel, Mapping):
            raise StepError(INVALID_ARGUMENT, f"stream channel must be a dict with 'groupId', got {channel!r}")
        if not isinstance(event, Mapping):
            raise StepError(INVALID_ARGUMENT, f"stream event must be a dict with 'type', got {event!r}")
        group_id = channel.get("groupId", channel.get("group_id"))
        item_id = channel.get("id") or ""
        payload = {"type": _require_str(event.get("type"), "stream event type"), "data": event.get("data")}
        return self._call(StreamOp.SEND, group_id, item_id, _encode(payload, f"stream {self._name} event"))

    def _call(self, op: StreamOp, group_id: Any, id: Any = "", data: bytes = b"") -> Any:
        group = _require_str(group_id, f"stream {self._name} groupId")
        item = "" if op in (StreamOp.GET_GROUP, StreamOp.SEND) and not id else _key(id)
        return self._calls.call(StreamCall(op, self._name, group, item, data))

    def __repr__(self) -> str:
        return f"<Stream {self._name!r}>"


class Streams:
    """`context.streams.<name>` and `context.streams["name"]`.

    Any name gives a handle; the host answers STREAM_NOT_FOUND when it is used for
    a stream that does not exist. Iteration and `in` use the names Welcome listed.
    """

    def __init__(self, calls: _Calls, names: Sequence[str]) -> None:
        self._calls = calls
        self._names = tuple(names)
        self._cache: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        stream = self._cache.get(name)
        if stream is None:
            stream = self._cache[name] = Stream(_require_str(name, "stream name"), self._calls)
        return stream

    def __getattr__(self, name: str) -> Stream:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class Context:
    """What a handler gets as `context`; one per invocation."""

    def __init__(
        self,
        invocation: Invocation,
        channel: CtxChannel,
        bridge: Bridge,
        stream_names: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._calls = _Calls(invocation.invocation_id, channel, bridge)
        self.trace_id = invocation.trace_id
        self.flows = list(invocation.flows)
        self.attempt = invocation.attempt
        self.event_id = invocation.event_id
        self.logger = Logger(self._calls, clock)
        self.state = State(self._calls)
        self.streams = Streams(self._calls, stream_names)

    @property
    def traceId(self) -> str:
        return self.trace_id

    @property
    def eventId(self) -> str:
        return self.event_id

    def emit(self, event: Mapping[str, Any]) -> Any:
        """Emit `{"topic", "data", "messageGroupId"?}`; done once the host has accepted it."""
        if not isinstance(event, Mapping):
            raise StepError(INVALID_ARGUMENT, f"emit takes a dict with 'topic' and 'data', got {event!r}")
        topic = _require_str(event.get("topic"), "emit topic")
        group = event.get("messageGroupId", event.get("message_group_id")) or ""
        if not isinstance(group, str):
            raise StepError(INVALID_ARGUMENT, f"emit messageGroupId must be a string, got {group!r}")
        data = _encode(event.get("data"), f"data emitted to {topic!r}")
        return self._calls.call(EmitCall(topic, data, group))

    async def settle(self) -> None:
        """Wait for ctx calls the handler started but never awaited.

        Their failures are logged as warnings rather than lost, and the host
        never receives a ctx call for an invocation whose result it already has.
        """
        self._calls.forget_unawaited()
        while self._calls.pending:
            # Taken out before awaiting: the futures' own discard callbacks run
            # later, and a failure must be logged once.
            pending = list(self._calls.pending)
            self._calls.pending.difference_update(pending)
            results = await asyncio.gather(*pending, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                    self.logger.warn("a ctx call that was not awaited failed", {"error": str(result)})

    def close(self) -> None:
        """End the invocation: refuse further ctx calls and drop unanswered ones."""
        self._calls.bridge.close()
        self._calls.forget_unawaited()
        for future in list(self._calls.pending):
            future.cancel()
