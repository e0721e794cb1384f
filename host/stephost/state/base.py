"""The state store interface. Values are JSON values; falsy ones are values, not absence."""

from __future__ import annotations

from typing import Any, Protocol

JsonValue = Any


class StateStore(Protocol):
    """Groups of keys; a group never sees another group's keys (`user` vs `users`)."""

    async def get(self, group: str, key: str) -> JsonValue | None:
        """The value, or None when the key is absent."""

    async def set(self, group: str, key: str, value: JsonValue) -> JsonValue:
        """Store `value` and return it."""

    async def delete(self, group: str, key: str) -> JsonValue | None:
        """Remove the key; return the old value or None."""

    async def get_group(self, group: str) -> list[JsonValue]:
        """Every value of the group, in insertion order."""

    async def items(self, group: str) -> list[tuple[str, JsonValue]]:
        """Every (key, value) of the group, in insertion order: `get_group` with the keys."""

    async def groups(self) -> list[str]:
        """Every group that holds at least one key, sorted."""

    async def clear(self, group: str) -> None:
        """Remove every key of the group."""

    async def close(self) -> None:
        """Release connections and files."""
