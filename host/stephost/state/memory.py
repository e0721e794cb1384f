"""In-memory state store: for unit tests and throwaway runs; lost when the host stops."""

from __future__ import annotations

import copy
from typing import Any


class MemoryStateStore:
    def __init__(self) -> None:
        self._groups: dict[str, dict[str, Any]] = {}

    async def get(self, group: str, key: str) -> Any | None:
        # Copies keep callers from mutating stored values, as a real store would.
        return copy.deepcopy(self._groups.get(group, {}).get(key))

    async def set(self, group: str, key: str, value: Any) -> Any:
        self._groups.setdefault(group, {})[key] = copy.deepcopy(value)
        return value

    async def delete(self, group: str, key: str) -> Any | None:
        items = self._groups.get(group)
        if not items or key not in items:
            return None
        old = items.pop(key)
        if not items:
            del self._groups[group]
        return old

    async def get_group(self, group: str) -> list[Any]:
        return copy.deepcopy(list(self._groups.get(group, {}).values()))

    async def items(self, group: str) -> list[tuple[str, Any]]:
        return copy.deepcopy(list(self._groups.get(group, {}).items()))

    async def groups(self) -> list[str]:
        # delete and clear drop a group once it is empty, so every group here holds a key
        return sorted(self._groups)

    async def clear(self, group: str) -> None:
        self._groups.pop(group, None)

    async def close(self) -> None:
        return None
