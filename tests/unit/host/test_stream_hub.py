"""Rooms and outboxes of the stream hub, without sockets."""

from __future__ import annotations

import json

from stephost.streams.hub import ClientChannel, StreamHub


def channel(max_pending: int = 10) -> ClientChannel:
    async def send(text: str) -> None:
        return None

    async def close(code: int, reason: str) -> None:
        return None

    return ClientChannel(send, close, max_pending=max_pending)


def pending(ch: ClientChannel) -> list[dict[str, object]]:
    out = []
    while not ch._outbox.empty():
        text = ch._outbox.get_nowait()
        assert text is not None
        out.append(json.loads(text))
    return out


def test_a_change_reaches_the_group_room_and_its_item_room_once_per_channel() -> None:
    hub = StreamHub()
    group, item, other_group_item = channel(), channel(), channel()
    hub.subscribe(group, "s1", ("chat", "g", None))
    hub.subscribe(item, "s2", ("chat", "g", "a"))
    hub.subscribe(item, "s3", ("chat", "g", None))  # in both rooms: still one copy
    hub.subscribe(other_group_item, "s4", ("chat", "other", "a"))
    assert hub.publish("chat", "g", "a", {"type": "update", "data": {"id": "a"}}) == 2
    assert [m["event"] for m in pending(group)] == [{"type": "update", "data": {"id": "a"}}]
    assert len(pending(item)) == 1
    assert pending(other_group_item) == []


def test_timestamps_strictly_increase() -> None:
    hub = StreamHub()
    ch = channel(100)
    hub.subscribe(ch, "s", ("chat", "g", None))
    for n in range(50):
        hub.publish("chat", "g", str(n), {"type": "create", "data": {}})
    stamps = [m["timestamp"] for m in pending(ch)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 50


def test_leaving_one_subscription_keeps_the_room_for_another_of_the_same_channel() -> None:
    hub = StreamHub()
    ch = channel()
    hub.subscribe(ch, "s1", ("chat", "g", None))
    hub.subscribe(ch, "s2", ("chat", "g", None))
    assert hub.unsubscribe(ch, "s1")
    assert hub.publish("chat", "g", None, {"type": "event", "event": {"type": "x", "data": 1}}) == 1
    assert hub.unsubscribe(ch, "s2")
    assert hub.publish("chat", "g", None, {"type": "event", "event": {"type": "x", "data": 1}}) == 0
    assert not hub.unsubscribe(ch, "s2")


def test_a_full_outbox_marks_the_channel_too_slow_and_takes_nothing_more() -> None:
    hub = StreamHub()
    ch = channel(max_pending=3)
    hub.subscribe(ch, "s", ("chat", "g", None))
    delivered = [hub.publish("chat", "g", None, {"type": "event", "event": {"type": "x", "data": n}}) for n in range(5)]
    assert delivered == [1, 1, 1, 0, 0]
    assert ch.closed_reason == "client too slow: 3 messages were waiting"


def test_drop_forgets_every_subscription_of_a_channel() -> None:
    hub = StreamHub()
    ch = channel()
    hub.subscribe(ch, "s1", ("chat", "g", None))
    hub.subscribe(ch, "s2", ("chat", "g", "a"))
    hub.drop(ch)
    assert hub.publish("chat", "g", "a", {"type": "delete", "data": {}}) == 0
    assert hub.subscriber_count() == 0
