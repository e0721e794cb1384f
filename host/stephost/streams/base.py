"""The stream item store interface. Items are JSON objects carrying their `id`."""

from __future__ import annotations

from typing import Any, Protocol


class StreamStore(Protocol):
    async def get(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        """The item, or None."""

    async def set(self, stream: str, group: str, item_id: str, data: Any) -> tuple[dict[str, Any], bool]:
        """Store `data` as the item (with `id` added); returns the item and whether it was created."""

    async def delete(self, stream: str, group: str, item_id: str) -> dict[str, Any] | None:
        """Remove the item; returns it, or None if there was none."""

    async def get_group(self, stream: str, group: str) -> list[dict[str, Any]]:
        """Every item of the group, in creation order."""

    async def close(self) -> None:
        """Release files and connections."""


def as_item(item_id: str, data: Any) -> dict[str, Any]:
    """What a stream stores: the data's fields plus `id` (a non-object is kept under `data`)."""
    if isinstance(data, dict):
        return {**data, "id": item_id}
    return {"id": item_id, "data": data}
