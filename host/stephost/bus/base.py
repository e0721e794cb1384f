"""Event bus interface: what the host needs from any queue (memory, SQLite, Redis)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    """One emitted event, as the emitter sent it."""

    id: str
    topic: str
    data: Any
    trace_id: str
    emitted_by: str
    message_group_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One subscriber's copy of an event (fan-out: one delivery per subscribing step)."""

    event: Event
    step: str
    attempt: int = 1

    @property
    def delivery_id(self) -> str:
        """Stable across retries of this delivery: the handler's idempotency key."""
        return f"{self.event.id}:{self.step}"


DeliveryHandler = Callable[[Delivery], Awaitable[None]]
"""Runs one delivery; raising means the attempt failed."""


class EventBus(Protocol):
    async def start(self, handler: DeliveryHandler) -> None:
        """Begin delivering to `handler`; called once, after every subscriber is known."""

    async def publish(self, event: Event, subscribers: list[str]) -> None:
        """Accept `event` for each subscribing step; returns once it is accepted."""

    async def close(self) -> None:
        """Stop delivering; wait for in-flight deliveries up to the bus's own limit."""
