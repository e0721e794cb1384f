"""Who is subscribed to what, and pushing each change to them without letting one slow client hurt.

Rooms are a group (stream, group) or one item (stream, group, id): unlike classic
Motia, an item subscription respects its group. Each connection has a bounded
outbox drained by its own writer; a connection whose outbox is full is closed
with a reason instead of growing the host's memory or stalling everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

RoomKey = tuple[str, str, str | None]
DEFAULT_MAX_PENDING = 1000
SLOW_CLIENT_CLOSE_CODE = 1008  # policy violation: the client does not keep up
GOING_AWAY_CLOSE_CODE = 1001  # the host is shutting down
CLOSE_TIMEOUT_S = 5.0


_last_stamp = 0


def _timestamp() -> int:
    """Wall-clock milliseconds, strictly increasing: Motia's clients drop a message not newer than the last."""
    global _last_stamp
    _last_stamp = max(int(time.time() * 1000), _last_stamp + 1)
    return _last_stamp


def change_message(stream: str, group: str, item_id: str | None, event: dict[str, Any]) -> dict[str, Any]:
    """Motia's wire shape for a change or a custom event."""
    message: dict[str, Any] = {"timestamp": _timestamp(), "streamName": stream, "groupId": group}
    if item_id is not None:
        message["id"] = item_id
    message["event"] = event
    return message


class ClientChannel:
    """The outbound side of one WebSocket connection."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self._send = send
        self._close = close
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue(maxsize=max_pending)
        self.max_pending = max_pending
        self.closed_reason: str | None = None
        self.close_code = SLOW_CLIENT_CLOSE_CODE
        self._done = asyncio.Event()

    def offer(self, text: str) -> bool:
        """Queue a message; False (and the connection is being closed) when the outbox is full."""
        if self.closed_reason is not None:
            return False
        try:
            self._outbox.put_nowait(text)
            return True
        except asyncio.QueueFull:
            self.close(SLOW_CLIENT_CLOSE_CODE, f"client too slow: {self.max_pending} messages were waiting")
            return False

    def close(self, code: int, reason: str) -> None:
        """End the connection with `code` and `reason`, without waiting for the outbox."""
        if self.closed_reason is None:
            self.closed_reason = reason
            self.close_code = code
        self._done.set()

    def send_json(self, message: dict[str, Any]) -> bool:
        return self.offer(json.dumps(message, separators=(",", ":"), ensure_ascii=False))

    async def run_writer(self) -> None:
        """Drain the outbox until the connection ends; close it when the client fell behind."""
        drain = asyncio.ensure_future(self._drain())
        done = asyncio.ensure_future(self._done.wait())
        try:
            await asyncio.wait({drain, done}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            drain.cancel()
            done.cancel()
            await asyncio.gather(drain, done, return_exceptions=True)
        if self.closed_reason is not None:
            # The close frame queues behind what the client never read; do not wait forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await self._close(self.close_code, self.closed_reason)

    async def _drain(self) -> None:
        while True:
            text = await self._outbox.get()
            if text is None:
                return
            await self._send(text)

    def finish(self) -> None:
        """The connection ended: stop the writer."""
        self._done.set()


class StreamHub:
    def __init__(self) -> None:
        self._rooms: dict[RoomKey, set[ClientChannel]] = {}
        # channel -> subscription id -> room, so leave and disconnect find what to undo
        self._subscriptions: dict[ClientChannel, dict[str, RoomKey]] = {}
        self._connected: set[ClientChannel] = set()  # subscribed or not, to close them all at shutdown

    def connect(self, channel: ClientChannel) -> None:
        self._connected.add(channel)

    def close_all(self, code: int, reason: str) -> int:
        """Close every connection (at shutdown); returns how many there were."""
        for channel in self._connected:
            channel.close(code, reason)
        return len(self._connected)

    def subscribe(self, channel: ClientChannel, subscription_id: str, room: RoomKey) -> None:
        subs = self._subscriptions.setdefault(channel, {})
        previous = subs.get(subscription_id)
        if previous is not None:
            self._leave_room(channel, subscription_id, previous)
        subs[subscription_id] = room
        self._rooms.setdefault(room, set()).add(channel)

    def unsubscribe(self, channel: ClientChannel, subscription_id: str) -> bool:
        room = self._subscriptions.get(channel, {}).get(subscription_id)
        if room is None:
            return False
        self._leave_room(channel, subscription_id, room)
        return True

    def _leave_room(self, channel: ClientChannel, subscription_id: str, room: RoomKey) -> None:
        subs = self._subscriptions.get(channel, {})
        subs.pop(subscription_id, None)
        if room in subs.values():
            return  # another subscription of this channel still needs the room
        members = self._rooms.get(room)
        if members is not None:
            members.discard(channel)
            if not members:
                del self._rooms[room]

    def drop(self, channel: ClientChannel) -> None:
        for subscription_id, room in list(self._subscriptions.get(channel, {}).items()):
            self._leave_room(channel, subscription_id, room)
        self._subscriptions.pop(channel, None)
        self._connected.discard(channel)

    def publish(self, stream: str, group: str, item_id: str | None, event: dict[str, Any]) -> int:
        """Push one change to the group's room and, for an item, to the item's room; returns receivers."""
        targets: set[ClientChannel] = set(self._rooms.get((stream, group, None), ()))
        if item_id is not None:
            targets |= self._rooms.get((stream, group, item_id), set())
        if not targets:
            return 0
        text = json.dumps(change_message(stream, group, item_id, event), separators=(",", ":"), ensure_ascii=False)
        delivered = 0
        for channel in targets:
            if channel.offer(text):
                delivered += 1
        return delivered

    def subscriber_count(self) -> int:
        return len(self._subscriptions)
