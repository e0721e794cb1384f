"""Uvicorn's HTTP/1.1 protocol (httptools) with bounds on a request's head: its size and its time.

httptools sets no limit of its own: a client could send megabytes of headers, all held in
memory, and Uvicorn would hand them to the app. The host answers 431 instead once a
request line and headers pass MAX_HEAD_BYTES, as Node's HTTP server (the classic Motia
host) does at its default 16 KiB, and closes the connection.

Uvicorn also waits forever for a connection that never sends a request, or stops halfway
through its head (it times out only the idle time after a response, and stops that clock
at the first byte): enough of them and the host runs out of file descriptors. A head must
be complete within HEAD_TIMEOUT_S of the connection opening or of the previous response;
a connection that sent part of one gets 408, one that sent nothing is closed, as an idle
keep-alive connection is.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
HEAD_TIMEOUT_S = 5.0


class _HeadTooLarge(Exception):
    pass


class BoundedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that answers 431 to a request head over MAX_HEAD_BYTES, and 408 to one
    not complete within HEAD_TIMEOUT_S.

    Two counts of size, either of which ends the request: the request line and header fields
    as the parser hands them over (exact), and the raw bytes received while a head is being
    read (so a header that never ends is cut off before the parser buffers all of it)."""

    _in_head = False
    _head_received = 0
    _head_fields = 0
    _head_too_large = False
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        # With a pipelined request queued, its head is already in: nothing to wait for.
        waiting_for_head = not self.pipeline
        super().on_response_complete()
        if waiting_for_head and not self.transport.is_closing():
            self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._in_head:
            body = f"the request head did not arrive within {HEAD_TIMEOUT_S:g} s".encode()
            self._write_closing_answer(b"408 Request Timeout", body)
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_received += len(data)
            if self._head_received > MAX_HEAD_BYTES:
                self._answer_head_too_large()
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_received = 0
        self._head_fields = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_timer()
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._head_fields += size
        if self._head_fields > MAX_HEAD_BYTES:
            self._head_too_large = True
            # Raised inside a parser callback: the parser fails the request, and Uvicorn
            # answers it with send_400_response, below.
            raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:
            self._answer_head_too_large()
        else:
            super().send_400_response(msg)

    def _answer_head_too_large(self) -> None:
        body = f"request line and headers are over the {MAX_HEAD_BYTES}-byte limit".encode()
        self._write_closing_answer(b"431 Request Header Fields Too Large", body)

    def _write_closing_answer(self, status: bytes, body: bytes) -> None:
        head = [b"HTTP/1.1 ", status, b"\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
