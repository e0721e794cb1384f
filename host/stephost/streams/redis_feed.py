"""The change feed of hosts sharing one Redis (see `stephost.streams.feed`): each change is
PUBLISHed on one channel and every host, the publisher included, relays what it hears into
its own hub. Its own module so that a host without Redis never loads the Redis client."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from stephost.errors import StorageUnavailable
from stephost.redis_link import RedisLink
from stephost.streams.hub import StreamHub

log = logging.getLogger("stephost.streams")

FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 2.0
SUBSCRIBE_TIMEOUT_S = 5.0
CANCEL_AGAIN_S = 0.1


class RedisFeed:
    """Many hosts on one Redis: changes travel on the channel `<prefix>:streams:changes`."""

    def __init__(self, link: RedisLink, hub: StreamHub) -> None:
        self.hub = hub
        self._link = link
        self._channel = link.key("streams", "changes")
        self._task: asyncio.Task[None] | None = None
        self._live = False

    @property
    def live(self) -> bool:
        return self._live

    async def publish(self, stream: str, group: str, item_id: str | None, event: dict[str, Any]) -> None:
        # Not into the local hub as well: this host hears its own message like any other.
        message = json.dumps({"stream": stream, "group": group, "id": item_id, "event": event}, separators=(",", ":"))
        async with self._link.guard(f"streams publish {stream}/{group}"):
            await self._link.client.publish(self._channel, message)

    async def start(self) -> None:
        """Subscribe, then relay in the background. Raises StorageUnavailable when Redis is down,
        so a host does not start deaf to the others."""
        pubsub = await self._subscribe()
        self._live = True
        self._task = asyncio.create_task(self._relay(pubsub), name="streams-feed")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        # On Python 3.11, asyncio.wait_for (redis-py writes through it) swallows a cancel
        # that lands as the write completes, e.g. while reconnecting: ask until it is done.
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=CANCEL_AGAIN_S)
        await asyncio.gather(task, return_exceptions=True)

    async def _subscribe(self) -> PubSub:
        pubsub = self._link.client.pubsub()
        try:
            async with self._link.guard("streams subscribe"), asyncio.timeout(SUBSCRIBE_TIMEOUT_S):
                await pubsub.subscribe(self._channel)
                # The confirmation means Redis has us on the channel: a change published
                # after this returns is heard.
                await pubsub.get_message(timeout=None)
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    async def _relay(self, pubsub: PubSub) -> None:
        """Relay until cancelled; when Redis goes away, subscribe again with backoff."""
        while True:
            try:
                async with self._link.guard("streams feed listen"):
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self._deliver(message["data"])
            except (StorageUnavailable, RedisError) as exc:
                log.warning("stream change feed lost Redis, subscribing again: %s", exc)
            finally:
                self._live = False
                await _close(pubsub)
            pubsub = await self._resubscribe()
            self._live = True

    async def _resubscribe(self) -> PubSub:
        delay = FIRST_BACKOFF_S
        while True:
            await asyncio.sleep(delay)
            try:
                pubsub = await self._subscribe()
            except (StorageUnavailable, RedisError) as exc:
                delay = min(delay * 2, MAX_BACKOFF_S)
                log.debug("stream change feed: Redis still unavailable, next try in %.1fs: %s", delay, exc)
                continue
            log.info("stream change feed subscribed again to %s", self._channel)
            return pubsub

    def _deliver(self, data: str) -> None:
        try:
            change = json.loads(data)
            stream, group, item_id, event = change["stream"], change["group"], change["id"], change["event"]
        except (ValueError, KeyError, TypeError):
            # Anything may PUBLISH on the channel; one bad message must not stop the relay.
            log.warning("ignored a malformed message on %s: %.200s", self._channel, data)
            return
        self.hub.publish(stream, group, item_id, event)


async def _close(pubsub: PubSub) -> None:
    # Through a typed name: redis-py before 8.2 leaves PubSub.aclose unannotated, later ones do not.
    close: Callable[[], Awaitable[None]] = pubsub.aclose
    await close()
