"""The event bus: its data, and the one storage interface every queue backend implements.

The delivery logic (concurrency, retries with backoff, FIFO, dead letters) lives once
in `dispatcher.py`; a backend only stores deliveries and hands them out
(`QueueStore`): memory for unit tests, SQLite for the embedded default, Redis for
many hosts.
"""

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
    id: str = ""  # the store's id of this delivery

    @property
    def delivery_id(self) -> str:
        """Stable across retries of this delivery: the handler's idempotency key."""
        return f"{self.event.id}:{self.step}"


@dataclass(frozen=True)
class Failure:
    """Why an attempt failed, as kept with a dead letter."""

    code: str
    message: str
    stack: str = ""


@dataclass(frozen=True)
class DeadLetter:
    """A delivery that used up its attempts, kept until replayed or purged."""

    id: str
    delivery: Delivery
    failure: Failure
    attempts: int
    failed_at: float

    def as_json(self) -> dict[str, Any]:
        event = self.delivery.event
        return {
            "id": self.id,
            "step": self.delivery.step,
            "topic": event.topic,
            "data": event.data,
            "traceId": event.trace_id,
            "eventId": event.id,
            "messageGroupId": event.message_group_id,
            "attempts": self.attempts,
            "failedAt": self.failed_at,
            "error": {"code": self.failure.code, "message": self.failure.message, "stack": self.failure.stack},
        }


class DeliveryDeferred(Exception):
    """Raised by a delivery handler that cannot run the delivery now (its step is unhealthy).

    The delivery waits `delay_s` and is tried again without using up an attempt.
    """

    def __init__(self, delay_s: float, reason: str) -> None:
        super().__init__(reason)
        self.delay_s = delay_s
        self.reason = reason


DeliveryHandler = Callable[[Delivery], Awaitable[None]]
"""Runs one delivery; raising means the attempt failed."""


class EventBus(Protocol):
    async def publish(self, event: Event, subscribers: list[str]) -> None:
        """Accept `event` for each subscribing step; returns once it is durably stored."""


class QueueStore(Protocol):
    """Where deliveries wait. Every method is atomic; times are Unix seconds."""

    async def enqueue(self, event: Event, steps: list[str], available_at: dict[str, float]) -> None:
        """Store one delivery per step, visible from `available_at[step]`; all or nothing."""

    async def claim(self, step: str, now: float, limit: int, fifo: bool, lease_s: float) -> list[Delivery]:
        """Take up to `limit` visible deliveries of `step`, oldest first, and mark them running.

        A running delivery that is not completed, retried or dead-lettered within
        `lease_s` (the step's visibility timeout) may be claimed again, by this host
        or any other, with the same attempt number: that is how the work of a host
        that died is taken over.

        With `fifo`, at most one per message group, and only the group's oldest
        delivery, and none of a group that already has one running: a failing
        delivery holds back its group until it succeeds or is dead-lettered.
        """

    async def complete(self, delivery: Delivery) -> None:
        """The attempt succeeded: forget the delivery."""

    async def retry(self, delivery: Delivery, available_at: float, failure: Failure) -> None:
        """The attempt failed and another is due at `available_at` (attempt + 1)."""

    async def dead_letter(self, delivery: Delivery, failure: Failure, now: float) -> None:
        """The last attempt failed: move the delivery to the dead-letter queue."""

    async def next_due(self, step: str) -> float | None:
        """When the earliest waiting delivery of `step` becomes visible, or None.

        Running deliveries are left out even though their lease ends some time:
        the dispatcher looks again at least every second, which is soon enough to
        take over a dead host's work.
        """

    async def recover(self) -> int:
        """At start, before claiming: returns how many deliveries it put back to waiting.

        A single-host store (memory, SQLite) puts back everything left running, since
        only a previous run of this host can have left it so. A store shared by many
        hosts must not take live hosts' work: it leaves running deliveries to their
        leases and may return 0.
        """

    async def pending(self) -> int:
        """Deliveries not yet done (waiting, delayed or running), for drains and metrics."""

    async def dead_letters(self) -> list[DeadLetter]:
        """The dead-letter queue, oldest first."""

    async def replay(self, dead_letter_id: str, now: float) -> bool:
        """Put a dead letter back as a fresh delivery (attempt 1); False if unknown."""

    async def purge(self) -> int:
        """Drop every dead letter; returns how many."""

    async def close(self) -> None:
        """Release files and connections."""
