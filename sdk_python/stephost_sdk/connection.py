"""The worker's one gRPC stream to the host.

Owns the channel, the `Connect` call, the send queue and its single writer (gRPC
allows one write at a time), and the correlation of CtxCall/CtxReply by call_id.
Pings are answered here, on the reading task, so a Pong never waits for a
handler. Everything else the host sends is handed up as a `messages.HostEvent`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator
from typing import Any, Final

import grpc
import grpc.aio

from stephost_proto.v1 import worker_pb2_grpc

from . import encoding, wire
from .errors import INTERNAL, INVALID_ARGUMENT, INVALID_RESPONSE, HostUnreachableError, StepError
from .messages import (
    Cancel,
    CtxOp,
    Drain,
    ErrorInfo,
    Failed,
    HostEvent,
    LogRecord,
    Outcome,
)

SECRET_METADATA: Final = "x-stephost-secret"
# The channel's hard limit both ways; the host may announce a lower one in Welcome.
MAX_MESSAGE_BYTES: Final = 64 * 1024 * 1024
# The most a Log message may weigh (docs/protocol.md, Sizes); the host disconnects a worker that sends more.
MAX_LOG_BYTES: Final = 1024 * 1024
CONNECT_TIMEOUT_S: Final = 10.0
# A backlog goes out as one WorkerBatch when the host announced "batch" in Welcome
# (docs/protocol.md, Batches): one gRPC write per batch instead of per message.
BATCH_CAPABILITY: Final = "batch"
BATCH_MAX_MESSAGES: Final = 256
BATCH_MAX_BYTES: Final = 1024 * 1024

_CLOSE: Final = object()


class Connection:
    """One open `Connect` stream. Every method runs on the event loop's thread."""

    def __init__(self, channel: grpc.aio.Channel, secret: str) -> None:
        self._channel = channel
        stub = worker_pb2_grpc.WorkerHostStub(channel)
        self._call: Any = stub.Connect(metadata=((SECRET_METADATA, secret),))
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._call_ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._limit = MAX_MESSAGE_BYTES
        self._lost: str | None = None
        self._batches = False  # the host reads WorkerBatch (its Welcome said so)

    @classmethod
    async def open(cls, socket_path: str, secret: str, timeout: float = CONNECT_TIMEOUT_S) -> Connection:
        """Dial `unix:<socket_path>` and open the stream.

        Raises HostUnreachableError when the socket file does not exist or the
        channel is not ready within `timeout`.
        """
        if not os.path.exists(socket_path):
            # The host binds its socket before starting workers: a missing file
            # is a misconfiguration, not something waiting will fix.
            raise HostUnreachableError(f"the host socket {socket_path} does not exist")
        channel = grpc.aio.insecure_channel(
            f"unix:{socket_path}",
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout)
        except TimeoutError:
            await channel.close()
            raise HostUnreachableError(f"cannot reach the host at unix:{socket_path} within {timeout:g}s") from None
        return cls(channel, secret)

    async def aclose(self) -> None:
        """Cancel the call if still open and close the channel."""
        self._fail_replies("the connection to the host is closed")
        self._call.cancel()
        await self._channel.close()

    # -------------------------------------------------------------- sending

    def send(self, message: Any) -> None:
        """Queue a WorkerMessage for the writer."""
        self._queue.put_nowait(message)

    def send_result(self, invocation_id: str, outcome: Outcome) -> None:
        message = wire.result(invocation_id, outcome)
        size = message.ByteSize()
        if size > self._limit:
            # An oversized message would kill the whole stream; fail just this
            # invocation instead.
            message = wire.result(
                invocation_id,
                Failed(
                    ErrorInfo(
                        INVALID_RESPONSE,
                        f"the invocation result is {size} bytes, over the host's limit of {self._limit}",
                    )
                ),
            )
        self.send(message)

    def call(self, invocation_id: str, op: CtxOp) -> asyncio.Future[Any]:
        """Send a CtxCall; the future gets the decoded reply value or a StepError."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._lost is not None:
            future.set_exception(StepError(INTERNAL, self._lost))
            return future
        call_id = next(self._call_ids)
        message = wire.ctx_call(call_id, invocation_id, op)
        size = message.ByteSize()
        if size > self._limit:
            future.set_exception(
                StepError(INVALID_ARGUMENT, f"the ctx call is {size} bytes, over the host's limit of {self._limit}")
            )
            return future
        self._replies[call_id] = future
        self.send(message)
        return future

    def log(self, record: LogRecord) -> None:
        """Send a log record; an oversized one is cut down to its message."""
        message = wire.log(record)
        if message.ByteSize() > min(self._limit, MAX_LOG_BYTES):
            message = wire.log(
                LogRecord(
                    record.invocation_id,
                    record.level,
                    record.msg[:4096],
                    encoding.dumps({"truncated": True}),
                    record.time_unix_ms,
                )
            )
        self.send(message)

    def close_writing(self) -> None:
        """Queue the half-close: the writer ends the stream after what is queued."""
        self._queue.put_nowait(_CLOSE)

    async def write_loop(self) -> None:
        """Write queued messages in order until `close_writing` or a failed stream."""
        queue = self._queue
        while True:
            message = await queue.get()
            closing = message is _CLOSE
            try:
                if not closing and self._batches and not queue.empty():
                    message, closing = self._batch_from(message)
                if message is not _CLOSE:
                    await self._call.write(message)
                if closing:
                    await self._call.done_writing()
                    return
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
                # The stream is gone; the reading side reports why.
                return

    def _batch_from(self, first: Any) -> tuple[Any, bool]:
        """`first` and what is queued behind it (up to the caps) as one message; True when the
        half-close was among them (it is written after the batch)."""
        batch = [first]
        size = first.ByteSize()
        while not self._queue.empty() and len(batch) < BATCH_MAX_MESSAGES and size < BATCH_MAX_BYTES:
            message = self._queue.get_nowait()
            if message is _CLOSE:
                return wire.batch(batch), True
            batch.append(message)
            size += message.ByteSize()
        return wire.batch(batch), False

    # -------------------------------------------------------------- receiving

    def set_limit(self, max_message_bytes: int) -> None:
        """Apply the host's announced message limit (0 = none announced)."""
        if max_message_bytes > 0:
            self._limit = min(max_message_bytes, MAX_MESSAGE_BYTES)

    async def events(self) -> AsyncIterator[HostEvent]:
        """Yield what the host sends, until it ends the stream.

        Pings and CtxReplies are handled here and never yielded. Raises
        grpc.aio.AioRpcError when the stream fails (e.g. UNAUTHENTICATED).
        """
        try:
            while True:
                message = await self._call.read()
                if message is grpc.aio.EOF:
                    return
                # A HostBatch is its messages, in order, as if each had come alone.
                inner = message.batch.messages if message.WhichOneof("kind") == "batch" else (message,)
                for one in inner:
                    event = self._handle(one)
                    if event is not None:
                        yield event
        finally:
            self._fail_replies("the connection to the host was lost")

    def _handle(self, message: Any) -> HostEvent | None:
        kind = message.WhichOneof("kind")
        if kind == "ping":
            self.send(wire.pong(message.ping.seq))
            return None
        if kind == "reply":
            self._resolve(message.reply)
            return None
        if kind == "welcome":
            welcome = wire.welcome_from(message.welcome)
            self._batches = welcome.capabilities.get(BATCH_CAPABILITY) == "1"
            return welcome
        if kind == "invoke":
            try:
                return wire.invocation_from(message.invoke)
            except wire.WireError as exc:
                # Every Invoke gets exactly one result, even one we cannot read.
                self.send_result(message.invoke.invocation_id, Failed(ErrorInfo(INVALID_ARGUMENT, str(exc))))
                return None
        if kind == "cancel":
            return Cancel(message.cancel.invocation_id, message.cancel.reason)
        if kind == "drain":
            return Drain(message.drain.deadline_unix_ms)
        # A message kind from a newer protocol revision: nothing to do with it.
        return None

    def _resolve(self, reply: Any) -> None:
        future = self._replies.pop(reply.call_id, None)
        if future is None or future.done():
            # Unknown call_id, or the invocation was cancelled and dropped it.
            return
        if reply.WhichOneof("outcome") == "error":
            future.set_exception(StepError(reply.error.code or INTERNAL, reply.error.message))
            return
        try:
            future.set_result(encoding.loads(reply.value_json))
        except ValueError as exc:
            future.set_exception(StepError(INTERNAL, f"the host replied with invalid JSON: {exc}"))

    def _fail_replies(self, reason: str) -> None:
        self._lost = reason
        replies, self._replies = self._replies, {}
        for future in replies.values():
            if not future.done():
                future.set_exception(StepError(INTERNAL, reason))
