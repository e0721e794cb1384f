"""A step's output becomes log records line by line, whatever the lines look like."""

from __future__ import annotations

import asyncio

from stephost.workers.output import output_records

LIMIT = 64 * 1024


async def records(chunks: list[bytes], max_bytes: int = LIMIT) -> list[tuple[str, bool]]:
    pipe = asyncio.StreamReader(limit=2**16)
    for chunk in chunks:
        pipe.feed_data(chunk)
    pipe.feed_eof()
    return [record async for record in output_records(pipe, max_bytes)]


async def test_short_lines_are_one_record_each_and_a_last_line_without_newline_is_kept() -> None:
    assert await records([b"one\ntw", b"o\n\nthree"]) == [("one", False), ("two", False), ("", False), ("three", False)]


async def test_a_line_longer_than_a_record_comes_whole_as_consecutive_records() -> None:
    line = "".join(chr(ord("a") + n % 26) for n in range(200_000))
    got = await records([line.encode()[i : i + 1000] for i in range(0, 200_000, 1000)] + [b"\nnext\n"])
    assert "".join(text for text, _ in got[:-1]) == line
    assert [len(text) for text, _ in got[:-1]] == [LIMIT, LIMIT, LIMIT, 200_000 - 3 * LIMIT]
    assert [continued for _, continued in got] == [True, True, True, False, False]
    assert got[-1] == ("next", False)


async def test_a_line_of_exactly_a_records_size_is_one_record() -> None:
    assert await records([b"z" * 100, b"\n"], max_bytes=100) == [("z" * 100, False)]


async def test_multibyte_characters_are_never_cut_at_a_record_boundary() -> None:
    line = "é€😀" * 30_000  # 2, 3 and 4 bytes: every kind of boundary falls inside one
    data = (line + "\n").encode()
    got = await records([data[i : i + 4093] for i in range(0, len(data), 4093)])
    assert "".join(text for text, _ in got) == line
    assert "\ufffd" not in "".join(text for text, _ in got)
    assert all(len(text.encode()) <= LIMIT for text, _ in got)


async def test_only_bytes_that_are_not_utf8_are_replaced() -> None:
    assert await records([b"ok \xff\xfe ok\n", b"cut \xe2\x82\n"]) == [
        ("ok \ufffd\ufffd ok", False),
        ("cut \ufffd", False),
    ]
