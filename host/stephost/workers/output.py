"""A worker's stdout and stderr as log records: line by line, never losing a byte."""

from __future__ import annotations

import asyncio
import codecs
import time
from collections.abc import AsyncIterator, Callable, MutableSequence

from stephost.types import LogRecord, LogSink

# A line of a step's output longer than this is logged as consecutive records of at most this many bytes.
OUTPUT_RECORD_MAX_BYTES = 64 * 1024


async def output_records(pipe: asyncio.StreamReader, max_bytes: int) -> AsyncIterator[tuple[str, bool]]:
    """The lines read from `pipe`, without their newline, as (text, continued) pairs until EOF.

    Lossless: a line longer than `max_bytes` (at least 4) comes as consecutive pieces of at
    most `max_bytes` bytes, each but the last with `continued` true. A piece ends before a
    UTF-8 character rather than in it, and decoding is incremental besides, so no character
    is cut in two; only bytes that are not UTF-8 become U+FFFD.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buffer = b""
    while True:
        chunk = await pipe.read(max(max_bytes, 65536))
        if not chunk:
            if buffer:
                yield decoder.decode(buffer, final=True), False
            return
        buffer += chunk
        start = 0
        while True:
            newline = buffer.find(b"\n", start, start + max_bytes + 1)
            if newline != -1:
                yield decoder.decode(buffer[start:newline], final=True), False
                start = newline + 1
            elif len(buffer) - start > max_bytes:  # longer than a record, newline or not
                end = start + max_bytes
                # Back off at most 3 continuation bytes (10xxxxxx) to the start of the character.
                while end > start + max_bytes - 3 and buffer[end] & 0xC0 == 0x80:
                    end -= 1
                yield decoder.decode(buffer[start:end]), True
                start = end
            else:
                break
        buffer = buffer[start:]


async def log_output(
    pipe: asyncio.StreamReader,
    sink: LogSink,
    owner: Callable[[], tuple[str, tuple[str, ...]]],
    stream: str,
    *,
    tail: MutableSequence[str] | None = None,
) -> None:
    """A step's own output (print, console.log) is never lost: each line becomes a record.

    `owner()` gives the step's name and flows at the time of each line (a worker starts
    before its config is known, so the name changes from the file's to the step's).

    stdout lines are info, stderr lines warn (`tail` keeps the last stderr lines for crash
    reports). A line longer than OUTPUT_RECORD_MAX_BYTES becomes several consecutive
    records, each but the last marked `continued` (the next record goes on with the same line).
    """
    level = "warn" if stream == "stderr" else "info"
    async for text, continued in output_records(pipe, OUTPUT_RECORD_MAX_BYTES):
        if tail is not None:
            tail.append(text)
        fields: dict[str, object] = {"stream": stream}
        if continued:
            fields["continued"] = True
        step, flows = owner()
        sink(LogRecord(level=level, msg=text, step=step, time_ms=int(time.time() * 1000), flows=flows, fields=fields))
