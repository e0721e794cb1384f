"""Stream operations from steps: store the change, then hand it to the change feed for every subscriber."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stephost import errors
from stephost.errors import CtxRefused
from stephost.streams.base import StreamStore
from stephost.streams.feed import ChangeFeed


@dataclass(frozen=True)
class StreamDefinition:
    name: str
    file: str
    schema: Any = None
    has_can_access: bool = False


class StreamService:
    def __init__(self, store: StreamStore, feed: ChangeFeed, streams: dict[str, StreamDefinition]) -> None:
        self.store = store
        self.feed = feed
        # Subscribers join the hub the feed delivers into; taking it from the feed keeps the two from diverging.
        self.hub = feed.hub
        self.streams = streams

    def require(self, stream: str, who: str) -> StreamDefinition:
        definition = self.streams.get(stream)
        if definition is None:
            known = ", ".join(sorted(self.streams)) or "none"
            raise CtxRefused(
                f"{who} used stream {stream!r}, which does not exist (streams: {known})", code=errors.STREAM_NOT_FOUND
            )
        return definition

    async def get(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        return await self.store.get(stream, group, item_id)

    async def set(self, stream: str, group: str, item_id: str, data: Any) -> dict[str, Any]:
        item, created = await self.store.set(stream, group, item_id, data)
        await self.feed.publish(stream, group, item_id, {"type": "create" if created else "update", "data": item})
        return item

    async def delete(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        old = await self.store.delete(stream, group, item_id)
        if old is not None:
            await self.feed.publish(stream, group, item_id, {"type": "delete", "data": old})
        return old

    async def get_group(self, stream: str, group: str) -> list[dict[str, Any]]:
        return await self.store.get_group(stream, group)

    async def send(self, stream: str, group: str, item_id: str | None, event: Any) -> None:
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise CtxRefused(
                f"streams.{stream}.send needs an event {{type, data}}, got {event!r}", code=errors.INVALID_ARGUMENT
            )
        await self.feed.publish(
            stream, group, item_id, {"type": "event", "event": {"type": event["type"], "data": event.get("data")}}
        )
