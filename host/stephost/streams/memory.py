"""In-memory stream store: for unit tests; lost when the host stops."""

from __future__ import annotations

import copy
from typing import Any

from stephost.streams.base import as_item


class MemoryStreamStore:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    async def get(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self._items.get((stream, group), {}).get(item_id))

    async def set(self, stream: str, group: str, item_id: str, data: Any) -> tuple[dict[str, Any], bool]:
        items = self._items.setdefault((stream, group), {})
        created = item_id not in items
        item = as_item(item_id, copy.deepcopy(data))
        items[item_id] = item
        return copy.deepcopy(item), created

    async def delete(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        items = self._items.get((stream, group))
        if not items or item_id not in items:
            return None
        return items.pop(item_id)

    async def get_group(self, stream: str, group: str) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self._items.get((stream, group), {}).values()))

    async def close(self) -> None:
        return None
