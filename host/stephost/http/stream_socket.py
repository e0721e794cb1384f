"""The stream WebSocket: Motia's protocol on the HTTP port, any path.

Client frames: {"type": "join"|"leave", "data": {streamName, groupId, id?, subscriptionId}}
and {"type": "ping"} (answered {"type": "pong"}). A bad frame gets an error event and the
connection stays open; a refused join gets STREAM_ACCESS_DENIED.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from quart import Quart, Response, websocket

from stephost.errors import StorageUnavailable
from stephost.streams.access import AuthRefused, StreamAccess
from stephost.streams.hub import ClientChannel, StreamHub, change_message
from stephost.streams.service import StreamService

MAX_FRAME_BYTES = 1024 * 1024


def error_event(code: str, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """An error in Motia's shape: a custom event of type `error` on the frame's stream, if any."""
    data = data or {}
    return change_message(
        str(data.get("streamName", "")),
        str(data.get("groupId", "")),
        data.get("id") if isinstance(data.get("id"), str) else None,
        {"type": "event", "event": {"type": "error", "data": {"code": code, "message": message}}},
    )


class _Frame(ValueError):
    """A frame that is not a valid join, leave or ping; the message says what is wrong."""


def _parse(raw: str | bytes) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raise _Frame("binary frames are not understood; send JSON text")
    if len(raw) > MAX_FRAME_BYTES:
        raise _Frame(f"frame of {len(raw)} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    try:
        frame = json.loads(raw)
    except ValueError as exc:
        raise _Frame(f"frame is not valid JSON: {exc}") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise _Frame('a frame must be a JSON object with a string "type"')
    return frame


def _subscription(frame: dict[str, Any]) -> dict[str, Any]:
    data = frame.get("data")
    if not isinstance(data, dict):
        raise _Frame(f'a {frame["type"]} frame needs "data": {{streamName, groupId, id?, subscriptionId}}')
    for key in ("streamName", "groupId", "subscriptionId"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _Frame(f"{frame['type']} needs a non-empty string {key!r}")
    if "id" in data and data["id"] is not None and not isinstance(data["id"], str):
        raise _Frame(f"{frame['type']}: 'id' must be a string")
    return data


def register_stream_socket(app: Quart, service: StreamService, access: StreamAccess, *, max_pending: int) -> None:
    hub: StreamHub = service.hub

    async def join(channel: ClientChannel, data: dict[str, Any], auth: Any) -> None:
        stream_name, group, item_id = data["streamName"], data["groupId"], data.get("id")
        stream = service.streams.get(stream_name)
        # Unknown streams are denied like forbidden ones: a client learns nothing about what exists.
        if stream is None or not await access.can_access(stream, group, item_id, auth):
            channel.send_json(error_event("STREAM_ACCESS_DENIED", "Access denied", data))
            return
        if not service.feed.live:
            # Changes made elsewhere cannot reach this host now: a sync would already be stale.
            raise StorageUnavailable("the stream change feed is reconnecting to Redis; join again in a moment")
        # Subscribe before reading the sync, so no change falls between the two.
        hub.subscribe(channel, data["subscriptionId"], (stream_name, group, item_id))
        try:
            if item_id is not None:
                item = await service.get(stream_name, group, item_id)
                if item is not None:
                    channel.send_json(change_message(stream_name, group, item_id, {"type": "sync", "data": item}))
            else:
                items = await service.get_group(stream_name, group)
                channel.send_json(change_message(stream_name, group, None, {"type": "sync", "data": items}))
        except StorageUnavailable:
            hub.unsubscribe(channel, data["subscriptionId"])  # a join without its sync is no join
            raise

    async def read_frames(channel: ClientChannel, auth: Any) -> None:
        while True:
            raw = await websocket.receive()
            frame: dict[str, Any] | None = None
            try:
                frame = _parse(raw)
                kind = frame["type"]
                if kind == "ping":
                    channel.send_json({"type": "pong"})
                elif kind == "join":
                    await join(channel, _subscription(frame), auth)
                elif kind == "leave":
                    hub.unsubscribe(channel, _subscription(frame)["subscriptionId"])
                else:
                    raise _Frame(f"unknown frame type {kind!r}; expected join, leave or ping")
            except _Frame as exc:
                data = frame.get("data") if frame is not None else None
                channel.send_json(error_event("INVALID_MESSAGE", str(exc), data if isinstance(data, dict) else None))
            except StorageUnavailable as exc:
                # The join could not read its sync: the client may join again; the connection stays.
                data = frame.get("data") if frame is not None else None
                channel.send_json(error_event(exc.code, exc.message, data if isinstance(data, dict) else None))

    async def stream_socket(path: str = "") -> Response | None:
        headers = {k.lower(): v for k, v in websocket.headers.items()}
        url = websocket.full_path.rstrip("?")
        try:
            auth = await access.authenticate(headers, url)
        except AuthRefused:
            return Response(json.dumps({"error": "Authentication failed"}), status=401, content_type="application/json")
        await websocket.accept()
        channel = ClientChannel(websocket.send, _closer, max_pending=max_pending)
        hub.connect(channel)
        writer = asyncio.ensure_future(channel.run_writer())
        reader = asyncio.ensure_future(read_frames(channel, auth))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hub.drop(channel)
            channel.finish()
            reader.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)
        return None

    async def _closer(code: int, reason: str) -> None:
        await websocket.close(code, reason)

    app.add_websocket("/", "stream_socket_root", stream_socket)
    app.add_websocket("/<path:path>", "stream_socket", stream_socket)
