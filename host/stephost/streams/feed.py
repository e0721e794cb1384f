"""Where a stream change goes once it is stored: into this host's hub, or through Redis into every host's.

Behind a load balancer a client subscribed on host B must see a change a step
made on host A. `RedisFeed` (stephost.streams.redis_feed) PUBLISHes each change on one channel, and every host,
the publisher included, relays what it hears into its own hub: each local client
gets exactly one copy whichever host made the change. Pub/sub keeps no history,
so a change published while a host is cut off from Redis never reaches that
host's clients; they see the current items again when they next join.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from stephost.streams.hub import StreamHub

log = logging.getLogger("stephost.streams")

class ChangeFeed(Protocol):
    @property
    def hub(self) -> StreamHub:
        """The hub this host's subscribers are in; the feed delivers into it."""

    async def publish(self, stream: str, group: str, item_id: str | None, event: dict[str, Any]) -> None:
        """Deliver one change (or custom event) to every subscriber of its rooms."""

    @property
    def live(self) -> bool:
        """True while every change, made on any host, reaches this host's hub.

        A join reads its sync only while this holds; otherwise a change made between
        the sync and the feed's return would never reach the new subscriber.
        """

    async def start(self) -> None:
        """Begin receiving changes; after it returns, no change published elsewhere is missed."""

    async def close(self) -> None:
        """Stop receiving; background work is finished when it returns."""


class LocalFeed:
    """One host: a change goes straight into its hub."""

    def __init__(self, hub: StreamHub) -> None:
        self.hub = hub

    @property
    def live(self) -> bool:
        return True

    async def publish(self, stream: str, group: str, item_id: str | None, event: dict[str, Any]) -> None:
        self.hub.publish(stream, group, item_id, event)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
