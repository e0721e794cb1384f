from __future__ import annotations

import pytest

from stephost.http.request import MalformedBody, api_payload, parse_body, query_params


def test_repeated_query_keys_become_lists() -> None:
    assert query_params([("a", "1"), ("b", "2"), ("a", "3"), ("a", "4")]) == {"a": ["1", "3", "4"], "b": "2"}


@pytest.mark.parametrize(
    ("content_type", "raw", "expected"),
    [
        ("application/json", b'{"a": 1}', {"a": 1}),
        ("application/json; charset=utf-8", b"[1, 2]", [1, 2]),
        ("application/vnd.api+json", b'"s"', "s"),
        ("application/json", b"", {}),
        ("application/x-www-form-urlencoded", b"a=1&b=2&a=3", {"a": ["1", "3"], "b": "2"}),
        ("text/plain", "héllo".encode(), "héllo"),
        ("application/octet-stream", b"\x00\x01", {}),
        ("", b"", {}),
    ],
)
def test_bodies_are_decoded_by_content_type(content_type: str, raw: bytes, expected: object) -> None:
    assert parse_body(content_type, raw) == expected


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(MalformedBody, match=r"malformed JSON body: Expecting value at line 1 column 7"):
        parse_body("application/json", b'{"a": ')


def test_the_payload_has_lower_case_headers_and_the_raw_body() -> None:
    payload = api_payload(
        method="POST",
        headers=[("Content-Type", "application/json"), ("X-A", "1"), ("x-a", "2")],
        query=[("q", "v")],
        path_params={"id": "7"},
        raw_body=b'{"k": true}',
    )
    assert payload == {
        "body": {"k": True},
        "headers": {"content-type": "application/json", "x-a": "1, 2"},
        "pathParams": {"id": "7"},
        "queryParams": {"q": "v"},
        "rawBody": '{"k": true}',
    }
