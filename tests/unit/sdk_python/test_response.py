from __future__ import annotations

import json
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from stephost_sdk.errors import INVALID_RESPONSE, InvalidResponseError
from stephost_sdk.messages import ApiResponse, BodyKind
from stephost_sdk.response import to_api_response


class User(BaseModel):
    id: str
    age: int


def test_a_dict_body_is_sent_as_json() -> None:
    response = to_api_response({"status": 201, "body": {"id": 1, "tags": ["a"]}})

    assert response == ApiResponse(201, (), BodyKind.JSON, b'{"id":1,"tags":["a"]}')


@pytest.mark.parametrize("body", [[1, 2], 0, False, None, {"nested": {"a": [1.5]}}])
def test_falsy_and_non_object_json_bodies_are_sent_as_json(body: Any) -> None:
    response = to_api_response({"body": body})

    assert response is not None
    assert response.body_kind is BodyKind.JSON
    assert json.loads(response.body) == body


def test_a_string_body_is_sent_as_text() -> None:
    response = to_api_response({"status": 200, "body": "héllo"})

    assert response == ApiResponse(200, (), BodyKind.TEXT, "héllo".encode())


@pytest.mark.parametrize("body", [b"\x00\xff", bytearray(b"\x00\xff"), memoryview(b"\x00\xff")])
def test_a_bytes_body_is_sent_as_bytes(body: Any) -> None:
    response = to_api_response({"body": body})

    assert response == ApiResponse(200, (), BodyKind.BYTES, b"\x00\xff")


def test_a_response_without_body_key_is_empty_and_status_defaults_to_200() -> None:
    assert to_api_response({}) == ApiResponse(200, (), BodyKind.EMPTY, b"")
    assert to_api_response({"status": 204}) == ApiResponse(204, (), BodyKind.EMPTY, b"")


def test_a_pydantic_body_is_serialised_in_json_mode() -> None:
    response = to_api_response({"body": {"user": User(id="u", age=3)}})

    assert response is not None
    assert json.loads(response.body) == {"user": {"id": "u", "age": 3}}


def test_headers_become_pairs_and_list_values_repeat_the_header() -> None:
    response = to_api_response({"status": 302, "headers": {"location": "/x", "set-cookie": ["a=1", "b=2"], "x-n": 5}})

    assert response is not None
    assert response.headers == (
        ("location", "/x"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("x-n", "5"),
    )


def test_none_means_no_response() -> None:
    assert to_api_response(None) is None


def test_a_pydantic_model_returned_as_the_whole_response_is_read_as_a_dict() -> None:
    class Response(BaseModel):
        status: int
        body: User

    response = to_api_response(Response(status=201, body=User(id="u", age=1)))

    assert response == ApiResponse(201, (), BodyKind.JSON, b'{"id":"u","age":1}')


def test_plain_objects_and_namedtuples_are_read_through_their_fields() -> None:
    @dataclass
    class Plain:
        status: int
        body: str

    Pair = namedtuple("Pair", ["status", "body"])

    assert to_api_response(Plain(202, "ok")) == ApiResponse(202, (), BodyKind.TEXT, b"ok")
    assert to_api_response(Pair(203, b"ok")) == ApiResponse(203, (), BodyKind.BYTES, b"ok")


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ("just text", "must return a dict"),
        ([1, 2], "must return a dict"),
        ({"status": "200"}, "'status' must be an HTTP status code"),
        ({"status": 42}, "'status' must be an HTTP status code"),
        ({"status": True}, "'status' must be an HTTP status code"),
        ({"headers": "x"}, "'headers' must be a dict"),
        ({"headers": {"x": {"a": 1}}}, "header 'x' must be a string"),
        ({"body": object()}, "'body' is not JSON-serialisable"),
        ({"body": float("nan")}, "'body' is not JSON-serialisable"),
    ],
)
def test_anything_else_is_an_invalid_response(result: Any, message: str) -> None:
    with pytest.raises(InvalidResponseError, match=message) as raised:
        to_api_response(result)
    assert raised.value.code == INVALID_RESPONSE
