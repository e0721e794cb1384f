"""Uvicorn's HTTP/1.1 protocol (httptools) with a bound on what one request's head may weigh.

httptools sets no limit of its own: a client could send megabytes of headers, all held in
memory, and Uvicorn would hand them to the app. The host answers 431 instead once a
request line and headers pass MAX_HEAD_BYTES, as Node's HTTP server (the classic Motia
host) does at its default 16 KiB, and closes the connection.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024


class _HeadTooLarge(Exception):
    pass


class BoundedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that answers 431 to a request head over MAX_HEAD_BYTES.

    Two counts, either of which ends the request: the request line and header fields as
    the parser hands them over (exact), and the raw bytes received while a head is being
    read (so a header that never ends is cut off before the parser buffers all of it)."""

    _in_head = False
    _head_received = 0
    _head_fields = 0
    _head_too_large = False

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_received += len(data)
            if self._head_received > MAX_HEAD_BYTES:
                self._head_too_large = True
                self.send_400_response("")
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
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._head_fields += size
        if self._head_fields > MAX_HEAD_BYTES:
            self._head_too_large = True
            # Raised inside a parser callback: the parser fails the request, and Uvicorn
            # answers it with send_400_response, below.
            raise _HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        body = f"request line and headers are over the {MAX_HEAD_BYTES}-byte limit".encode()
        head = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
