"""A small stream client for scripts and tests: subscribe over WebSocket, read changes.

    async with StreamClient("ws://127.0.0.1:3000") as client:
        sub = await client.subscribe_group("chat", "room-1")
        items = await sub.sync()             # the group's items at join time
        change = await sub.next_change()     # {"type": "create"|"update"|"delete"|"event", ...}

It speaks the same protocol as Motia's own clients (join/leave frames, a
subscriptionId per subscription) and routes each message to its subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class StreamError(Exception):
    """Raised when the server answers a join with an error event (e.g. STREAM_ACCESS_DENIED)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Subscription:
    """Messages of one join: the sync first, then changes and custom events, in order."""

    def __init__(self, client: StreamClient, stream: str, group: str, item_id: str | None) -> None:
        self.id = uuid.uuid4().hex
        self.stream = stream
        self.group = group
        self.item_id = item_id
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._client = client

    def matches(self, message: dict[str, Any]) -> bool:
        if message.get("streamName") != self.stream or message.get("groupId") != self.group:
            return False
        if self.item_id is None:
            # An item subscription's sync carries an id; it is not the group's (as in Motia's client).
            return not (message.get("id") is not None and message.get("event", {}).get("type") == "sync")
        return message.get("id") == self.item_id

    async def next_message(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message for this subscription; raises StreamError for an error event."""
        message = await asyncio.wait_for(self.messages.get(), timeout)
        event = message.get("event", {})
        if event.get("type") == "event" and event.get("event", {}).get("type") == "error":
            data = event["event"].get("data") or {}
            raise StreamError(str(data.get("code")), str(data.get("message")))
        return message

    async def sync(self, timeout: float = 10.0) -> Any:
        """The data of the sync sent on join (an item, or the group's items)."""
        message = await self.next_message(timeout)
        event = message["event"]
        if event.get("type") != "sync":
            raise AssertionError(f"expected a sync first, got {message}")
        return event.get("data")

    async def next_change(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next change's event: {"type": "create"|"update"|"delete", "data"} or {"type": "event", "event"}."""
        event: dict[str, Any] = (await self.next_message(timeout))["event"]
        return event

    async def leave(self) -> None:
        await self._client.leave(self)


class StreamClient:
    def __init__(self, url: str, *, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers or {}
        self._ws: ClientConnection | None = None
        self._subs: list[Subscription] = []
        self._reader: asyncio.Task[None] | None = None
        self.unmatched: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def connect(self) -> StreamClient:
        self._ws = await connect(self.url, additional_headers=self.headers, max_size=None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._ws is not None
        async for raw in self._ws:
            message = json.loads(raw)
            targets = [s for s in self._subs if s.matches(message)]
            for sub in targets:
                sub.messages.put_nowait(message)
            if not targets:
                self.unmatched.put_nowait(message)

    async def send_frame(self, frame: Any) -> None:
        """Send any frame as it is (tests use it for bad frames)."""
        assert self._ws is not None
        await self._ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def _subscribe(self, stream: str, group: str, item_id: str | None) -> Subscription:
        sub = Subscription(self, stream, group, item_id)
        self._subs.append(sub)
        data: dict[str, Any] = {"streamName": stream, "groupId": group, "subscriptionId": sub.id}
        if item_id is not None:
            data["id"] = item_id
        await self.send_frame({"type": "join", "data": data})
        return sub

    async def subscribe_group(self, stream: str, group: str) -> Subscription:
        return await self._subscribe(stream, group, None)

    async def subscribe_item(self, stream: str, group: str, item_id: str) -> Subscription:
        return await self._subscribe(stream, group, item_id)

    async def leave(self, sub: Subscription) -> None:
        data: dict[str, Any] = {"streamName": sub.stream, "groupId": sub.group, "subscriptionId": sub.id}
        if sub.item_id is not None:
            data["id"] = sub.item_id
        await self.send_frame({"type": "leave", "data": data})
        self._subs.remove(sub)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code if self._ws is not None else None

    @property
    def close_reason(self) -> str | None:
        return self._ws.close_reason if self._ws is not None else None

    async def wait_closed(self, timeout: float = 10.0) -> None:
        assert self._ws is not None
        await asyncio.wait_for(self._ws.wait_closed(), timeout)

    async def __aenter__(self) -> StreamClient:
        return await self.connect()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
