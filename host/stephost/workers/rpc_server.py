"""The gRPC edge workers dial: one unix socket, one `Connect` stream per worker.

Each stream is matched to the worker that was started with its secret; everything
after that is the `WorkerConnection`'s business.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from stephost_proto.v1 import worker_pb2 as pb
from stephost_proto.v1 import worker_pb2_grpc as pb_grpc

log = logging.getLogger("stephost.rpc")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SECRET_METADATA_KEY = "x-stephost-secret"


class WorkerStream:
    """A worker's stream seen from the host: read worker messages, write host messages."""

    def __init__(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        self._context = context

    async def read(self) -> pb.WorkerMessage | None:
        """The next message, or None when the worker closed the stream."""
        msg = await self._context.read()
        if msg is grpc.aio.EOF:
            return None
        assert isinstance(msg, pb.WorkerMessage)
        return msg

    async def write(self, msg: pb.HostMessage) -> None:
        await self._context.write(msg)


StreamHandler = Callable[[WorkerStream], Awaitable[None]]


class WorkerRpcServer(pb_grpc.WorkerHostServicer):  # type: ignore[misc]  # generated code is untyped
    """Serves `WorkerHost.Connect` on a unix socket and routes each stream by its secret."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self._expected: dict[str, StreamHandler] = {}
        self._server: grpc.aio.Server | None = None

    def expect(self, secret: str, handler: StreamHandler) -> None:
        """Route the stream that presents `secret` to `handler` (one stream at a time)."""
        self._expected[secret] = handler

    def forget(self, secret: str) -> None:
        self._expected.pop(secret, None)

    async def start(self) -> None:
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ]
        )
        pb_grpc.add_WorkerHostServicer_to_server(self, server)
        server.add_insecure_port(f"unix:{self.socket_path}")
        await server.start()
        # Any local user may connect (workers may run as another user); the secret decides who is served.
        os.chmod(self.socket_path, 0o666)
        self._server = server

    async def stop(self, grace_s: float = 1.0) -> None:
        if self._server is not None:
            await self._server.stop(grace_s)
            self._server = None

    async def Connect(self, request_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        secret = dict(context.invocation_metadata() or ()).get(SECRET_METADATA_KEY)
        # One stream per secret: a second connection with a used secret is an impostor.
        handler = self._expected.pop(secret, None) if isinstance(secret, str) else None
        if handler is None:
            log.warning("refused a worker stream with a missing or unknown secret")
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown worker secret")
            return
        try:
            await handler(WorkerStream(context))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker stream handler failed")
