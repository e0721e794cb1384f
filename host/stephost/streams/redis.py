"""Redis stream store: stream items shared by every host on one Redis.

Each (stream, group) is an ordered hash like a state group (see `state/redis.py`):
`streams:<stream>:<group>` maps item id -> item JSON and `streams_order:<stream>:<group>`
keeps creation order. A stream name may contain ':', so it is escaped before it
becomes a key part; the group is the last part and is left as it is.
"""

from __future__ import annotations

from typing import Any

from stephost import json_codec
from stephost.redis_link import RedisLink
from stephost.state.redis import HashKeys, OrderedHashes, encode
from stephost.streams.base import as_item


def escape(stream: str) -> str:
    """The stream name with '%' and ':' percent-encoded: ('a:b', 'c') and ('a', 'b:c') stay apart."""
    return stream.replace("%", "%25").replace(":", "%3A")


class RedisStreamStore:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._hashes = OrderedHashes(link)

    def _keys(self, stream: str, group: str) -> HashKeys:
        name = escape(stream)
        return self._link.key("streams", name, group), self._link.key("streams_order", name, group)

    async def get(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        async with self._link.guard(f"streams get {stream}/{group}/{item_id}"):
            raw = await self._link.commands.execute("HGET", self._keys(stream, group)[0], item_id)
        return None if raw is None else _item(raw)

    async def set(self, stream: str, group: str, item_id: str, data: Any) -> tuple[dict[str, Any], bool]:
        item = as_item(item_id, data)
        encoded = encode(item)
        async with self._link.guard(f"streams set {stream}/{group}/{item_id}"):
            created = await self._hashes.put(self._keys(stream, group), item_id, encoded)
        return item, created

    async def delete(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        async with self._link.guard(f"streams delete {stream}/{group}/{item_id}"):
            old = await self._hashes.take(self._keys(stream, group), item_id)
        return None if old is None else _item(old)

    async def get_group(self, stream: str, group: str) -> list[dict[str, Any]]:
        async with self._link.guard(f"streams get_group {stream}/{group}"):
            values = await self._hashes.values(self._keys(stream, group))
        return [_item(v) for v in values]

    async def close(self) -> None:
        """Nothing to release: the host owns the link."""


def _item(raw: str | bytes) -> dict[str, Any]:
    item: dict[str, Any] = json_codec.loads(raw)
    return item
