"""One contract for every ChangeFeed, then what only the Redis feed promises: many hosts, outages survived."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from stephost.errors import StorageUnavailable
from stephost.redis_link import RedisLink
from stephost.streams.feed import ChangeFeed, LocalFeed
from stephost.streams.hub import ClientChannel, RoomKey, StreamHub
from stephost.streams.memory import MemoryStreamStore
from stephost.streams.redis import RedisStreamStore
from stephost.streams.redis_feed import RedisFeed
from stephost.streams.service import StreamService
from tests.redis_support import REDIS_URL, new_prefix, redis_link

ROOM: RoomKey = ("chat", "room", None)


class Listener:
    """A client subscribed to a room of a hub; what it is sent lands in a queue."""

    def __init__(self, hub: StreamHub, room: RoomKey = ROOM) -> None:
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.channel = ClientChannel(self._send, self._close)
        hub.subscribe(self.channel, uuid.uuid4().hex, room)
        self._writer = asyncio.create_task(self.channel.run_writer())

    async def _send(self, text: str) -> None:
        await self.received.put(json.loads(text))

    async def _close(self, code: int, reason: str) -> None:
        return None

    async def next_event(self, timeout: float = 5.0) -> dict[str, Any]:
        event: dict[str, Any] = (await asyncio.wait_for(self.received.get(), timeout))["event"]
        return event

    async def close(self) -> None:
        self.channel.finish()
        await self._writer


@pytest.fixture
async def link() -> AsyncIterator[RedisLink]:
    async for each in redis_link():
        yield each


@pytest.fixture
async def listeners() -> AsyncIterator[Callable[[StreamHub], Listener]]:
    made: list[Listener] = []

    def listen(hub: StreamHub) -> Listener:
        made.append(Listener(hub))
        return made[-1]

    yield listen
    for listener in made:
        await listener.close()


@pytest.fixture
async def feeds(link: RedisLink) -> AsyncIterator[Callable[[RedisLink], Awaitable[RedisFeed]]]:
    """Started RedisFeeds, each with its own hub, closed after the test."""
    started: list[RedisFeed] = []

    async def start(on: RedisLink) -> RedisFeed:
        feed = RedisFeed(on, StreamHub())
        await feed.start()
        started.append(feed)
        return feed

    yield start
    for feed in started:
        await feed.close()


@pytest.fixture(params=["local", "redis"])
async def feed(request: pytest.FixtureRequest, link: RedisLink) -> AsyncIterator[ChangeFeed]:
    impl: ChangeFeed = LocalFeed(StreamHub()) if request.param == "local" else RedisFeed(link, StreamHub())
    await impl.start()
    yield impl
    await impl.close()


def custom(n: int) -> dict[str, Any]:
    return {"type": "event", "event": {"type": "n", "data": n}}


async def test_a_change_reaches_each_subscriber_of_the_hub_exactly_once(
    feed: ChangeFeed, listeners: Callable[[StreamHub], Listener]
) -> None:
    first, second = listeners(feed.hub), listeners(feed.hub)
    await feed.publish("chat", "room", "m1", {"type": "create", "data": {"id": "m1"}})
    await feed.publish("chat", "room", None, custom(2))
    for listener in (first, second):
        assert await listener.next_event() == {"type": "create", "data": {"id": "m1"}}
        assert await listener.next_event() == custom(2)  # not a second copy of the first


async def test_a_change_of_another_group_does_not_reach_the_room(
    feed: ChangeFeed, listeners: Callable[[StreamHub], Listener]
) -> None:
    listener = listeners(feed.hub)
    await feed.publish("chat", "elsewhere", None, custom(1))
    await feed.publish("chat", "room", None, custom(2))
    assert await listener.next_event() == custom(2)


async def test_a_change_published_on_one_host_reaches_every_hosts_subscribers_once(
    link: RedisLink, feeds: Callable[[RedisLink], Awaitable[RedisFeed]], listeners: Callable[[StreamHub], Listener]
) -> None:
    host_a, host_b = await feeds(link), await feeds(link)
    on_a, on_b = listeners(host_a.hub), listeners(host_b.hub)
    await host_a.publish("chat", "room", None, custom(1))
    await host_a.publish("chat", "room", None, custom(2))
    for listener in (on_a, on_b):
        assert [await listener.next_event(), await listener.next_event()] == [custom(1), custom(2)]


async def test_a_feed_under_another_prefix_hears_nothing(
    link: RedisLink, feeds: Callable[[RedisLink], Awaitable[RedisFeed]], listeners: Callable[[StreamHub], Listener]
) -> None:
    other = RedisLink(REDIS_URL, new_prefix())
    mine, theirs = await feeds(link), RedisFeed(other, StreamHub())
    await theirs.start()
    try:
        listener = listeners(mine.hub)
        await theirs.publish("chat", "room", None, custom(1))
        await mine.publish("chat", "room", None, custom(2))
        assert await listener.next_event() == custom(2)
    finally:
        await theirs.close()
        await other.close()


async def test_an_item_set_by_a_step_on_one_host_reaches_a_client_of_another(
    link: RedisLink, feeds: Callable[[RedisLink], Awaitable[RedisFeed]], listeners: Callable[[StreamHub], Listener]
) -> None:
    host_a = StreamService(RedisStreamStore(link), await feeds(link), {})
    host_b = StreamService(RedisStreamStore(link), await feeds(link), {})
    listener = listeners(host_b.hub)
    await host_a.set("chat", "room", "m1", {"text": "hi"})
    await host_a.delete("chat", "room", "m1")
    assert await listener.next_event() == {"type": "create", "data": {"text": "hi", "id": "m1"}}
    assert await listener.next_event() == {"type": "delete", "data": {"text": "hi", "id": "m1"}}


async def test_a_local_feed_is_always_live() -> None:
    assert LocalFeed(StreamHub()).live


async def test_a_local_service_publishes_through_its_feed() -> None:
    service = StreamService(MemoryStreamStore(), LocalFeed(StreamHub()), {})
    listener = Listener(service.hub)
    try:
        await service.send("chat", "room", None, {"type": "typing", "data": 1})
        assert await listener.next_event() == {"type": "event", "event": {"type": "typing", "data": 1}}
    finally:
        await listener.close()


async def test_a_malformed_message_on_the_channel_is_logged_and_skipped(
    link: RedisLink,
    feeds: Callable[[RedisLink], Awaitable[RedisFeed]],
    listeners: Callable[[StreamHub], Listener],
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed = await feeds(link)
    listener = listeners(feed.hub)
    await link.client.publish(link.key("streams", "changes"), "not json")
    await link.client.publish(link.key("streams", "changes"), '{"stream": "chat"}')
    await feed.publish("chat", "room", None, custom(1))
    assert await listener.next_event() == custom(1)
    assert [r.message for r in caplog.records if r.name == "stephost.streams"] == [
        f"ignored a malformed message on {link.key('streams', 'changes')}: not json",
        f'ignored a malformed message on {link.key("streams", "changes")}: {{"stream": "chat"}}',
    ]


async def test_close_leaves_no_task_behind(link: RedisLink) -> None:
    feed = RedisFeed(link, StreamHub())
    await feed.start()
    await feed.close()
    assert [t for t in asyncio.all_tasks() if t.get_name() == "streams-feed"] == []
    await feed.close()  # twice is harmless


@pytest.mark.parametrize("yields", [0, 3, 10])
async def test_close_returns_even_while_the_feed_is_reconnecting(link: RedisLink, yields: int) -> None:
    # Closing the connection under the feed makes it reconnect; a cancel that lands
    # mid-reconnect can be swallowed by asyncio.wait_for on Python 3.11.
    other = RedisLink(REDIS_URL, link.prefix)
    feed = RedisFeed(other, StreamHub())
    await feed.start()
    await other.close()
    for _ in range(yields):
        await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await feed.close()
    await other.close()


async def subscribers(link: RedisLink) -> int:
    counts = await link.client.pubsub_numsub(link.key("streams", "changes"))
    return int(counts[0][1])


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def test_the_feed_hears_changes_again_after_its_connection_is_killed(
    link: RedisLink, feeds: Callable[[RedisLink], Awaitable[RedisFeed]], listeners: Callable[[StreamHub], Listener]
) -> None:
    # A name on host B's connections finds its pubsub connection among everyone else's.
    name = f"feed-test-{uuid.uuid4().hex[:12]}"
    named = RedisLink(f"{REDIS_URL}?client_name={name}", link.prefix)
    host_a, host_b = await feeds(link), RedisFeed(named, StreamHub())
    await host_b.start()
    try:
        listener = listeners(host_b.hub)

        async def pubsub_ids() -> list[int]:
            return [int(c["id"]) for c in await link.client.client_list(_type="pubsub") if c["name"] == name]

        [killed] = await pubsub_ids()
        assert await link.client.client_kill_filter(_id=killed) == 1

        async def back() -> bool:
            return (await pubsub_ids()) not in ([], [killed]) and await subscribers(link) == 2

        await eventually(back)
        await host_a.publish("chat", "room", None, custom(1))
        assert await listener.next_event() == custom(1)
    finally:
        await host_b.close()
        await named.close()


class Relay:
    """A TCP relay to the test Redis that a test can cut and restore: what a Redis restart looks
    like to one client, without touching the server everyone else is using."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in self._open:
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self._open |= {writer, upstream_writer}
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._open -= {writer, upstream_writer}
            self._handlers.discard(handler)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def test_the_feed_warns_backs_off_and_subscribes_again_when_redis_comes_back(
    link: RedisLink,
    feeds: Callable[[RedisLink], Awaitable[RedisFeed]],
    listeners: Callable[[StreamHub], Listener],
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay = Relay()
    await relay.open()
    through_relay = RedisLink(f"redis://127.0.0.1:{relay.port}/0", link.prefix)
    host_a, host_b = await feeds(link), RedisFeed(through_relay, StreamHub())
    await host_b.start()
    try:
        assert host_b.live  # joins on host B may read their sync now
        listener = listeners(host_b.hub)
        caplog.set_level(logging.DEBUG, logger="stephost.streams")
        await relay.cut()

        async def warned() -> bool:
            return any(r.levelno == logging.WARNING and "lost Redis" in r.message for r in caplog.records)

        await eventually(warned)
        assert not host_b.live  # cut off: a join would miss what other hosts change
        assert await subscribers(link) == 1
        await relay.open()

        async def back() -> bool:
            return await subscribers(link) == 2 and host_b.live

        await eventually(back)
        await host_a.publish("chat", "room", None, custom(1))
        assert await listener.next_event() == custom(1)
        assert any("subscribed again" in r.message for r in caplog.records)
    finally:
        await host_b.close()
        await through_relay.close()
        await relay.cut()


async def test_starting_or_publishing_without_redis_is_storage_unavailable() -> None:
    down = RedisLink("redis://127.0.0.1:1/0", new_prefix())
    feed = RedisFeed(down, StreamHub())
    try:
        with pytest.raises(StorageUnavailable, match=r"\(streams subscribe\)"):
            await feed.start()
        with pytest.raises(StorageUnavailable, match=r"\(streams publish chat/room\)"):
            await feed.publish("chat", "room", None, custom(1))
    finally:
        await feed.close()
        await down.close()
