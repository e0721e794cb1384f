"""Trace ids: unique per HTTP request and cron tick, carried by every event they cause."""

from __future__ import annotations

import os


def new_trace_id() -> str:
    """A random (version 4) UUID as text: 122 random bits, so ids from many hosts never collide
    (Motia's short ids did). Formatted by hand: `str(uuid.uuid4())` costs 2.5 us, this 1 us,
    on every request."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
