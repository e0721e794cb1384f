"""Trace ids are RFC 4122 version 4 UUIDs in their usual text form, and do not repeat."""

from __future__ import annotations

import re
import uuid

from stephost.trace import new_trace_id


def test_a_trace_id_is_a_random_uuid_in_canonical_form() -> None:
    for _ in range(1000):
        text = new_trace_id()
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", text), text
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_trace_ids_do_not_repeat_and_use_every_random_bit() -> None:
    ids = [uuid.UUID(new_trace_id()).int for _ in range(20000)]
    assert len(set(ids)) == len(ids)
    fixed = (0xF << 76) | (0x3 << 62)  # the version nibble and the variant bits
    varying = 0
    for value in ids:
        varying |= value ^ ids[0]
    assert varying == ((1 << 128) - 1) & ~fixed
