"""Trace ids: unique per HTTP request and cron tick, carried by every event they cause."""

from __future__ import annotations

import uuid


def new_trace_id() -> str:
    # uuid4: 122 random bits, so ids from many hosts never collide (Motia's short ids did).
    return str(uuid.uuid4())
