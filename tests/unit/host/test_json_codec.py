"""stephost.json_codec: orjson where it can, the standard library where orjson refuses, so that
nothing the host accepted before fails now."""

from __future__ import annotations

import json
import math

import pytest

from stephost import json_codec


def test_round_trips_what_json_carries() -> None:
    value = {"s": "héllo ✓", "i": -3, "f": 1.5, "b": True, "n": None, "l": [1, {"x": []}], "e": {}}
    encoded = json_codec.dumps(value)
    assert encoded == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert json_codec.loads(encoded) == value
    assert json_codec.dumps_text(value) == encoded.decode()


def test_integers_beyond_64_bits_fall_back_to_the_standard_library() -> None:
    big = {"n": 2**70, "m": -(2**80)}
    assert json_codec.dumps(big) == b'{"n":1180591620717411303424,"m":-1208925819614629174706176}'
    assert json_codec.loads(json_codec.dumps(big)) == big


def test_nesting_deeper_than_orjson_allows_still_encodes_and_decodes() -> None:
    deep: list[object] = []
    for _ in range(600):  # orjson encodes 255 levels at most
        deep = [deep]
    text = json_codec.dumps(deep)
    assert text == b"[" * 601 + b"]" * 601
    assert json_codec.loads(text) == deep


def test_non_string_keys_become_strings_as_before() -> None:
    assert json_codec.dumps({1: "a", 2.5: "b", None: "c"}) == b'{"1":"a","2.5":"b","null":"c"}'


def test_nan_and_infinity_literals_are_still_read() -> None:
    value = json_codec.loads(b'{"a": NaN, "b": Infinity}')
    assert math.isnan(value["a"]) and value["b"] == math.inf


def test_a_nan_is_written_as_null_like_javascript() -> None:
    assert json_codec.dumps({"a": math.nan, "b": math.inf}) == b'{"a":null,"b":null}'


def test_invalid_json_raises_the_standard_librarys_error() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        json_codec.loads(b'{"a": }')
    assert caught.value.msg == "Expecting value" and caught.value.colno == 7


def test_utf16_text_is_read_as_the_standard_library_reads_it() -> None:
    assert json_codec.loads('{"a": 1}'.encode("utf-16")) == {"a": 1}


def test_memoryview_and_str_input() -> None:
    assert json_codec.loads(memoryview(b'{"a":1}')) == {"a": 1}
    assert json_codec.loads('{"a":1}') == {"a": 1}
    assert json_codec.loads(memoryview(b"[NaN]"))[0] != 0


def test_what_json_cannot_encode_still_raises_type_error() -> None:
    with pytest.raises(TypeError):
        json_codec.dumps({"x": object()})
