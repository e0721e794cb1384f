from __future__ import annotations

import json

import pytest

from stephost_sdk.request import Request


def test_request_fields_read_as_keys_and_as_attributes() -> None:
    req = Request.from_payload(
        {
            "body": {"name": "a"},
            "headers": {"x-id": "1"},
            "pathParams": {"id": "7"},
            "queryParams": {"tag": ["a", "b"]},
            "rawBody": '{"name":"a"}',
        }
    )

    assert req["body"] == req.body == {"name": "a"}
    assert req.headers == {"x-id": "1"}
    assert req.pathParams == {"id": "7"}
    assert req.queryParams == {"tag": ["a", "b"]}
    assert req.rawBody == '{"name":"a"}'


def test_middleware_can_add_fields_either_way() -> None:
    req = Request.from_payload({"body": None})

    req["user"] = {"id": "u1"}
    req.role = "admin"

    assert req.user == {"id": "u1"}
    assert req["role"] == "admin"


def test_a_request_is_still_a_plain_dict() -> None:
    req = Request.from_payload({"body": {"a": 1}})

    assert isinstance(req, dict)
    assert req.get("body") == {"a": 1}
    assert json.loads(json.dumps(req))["body"] == {"a": 1}


def test_missing_fields_get_empty_defaults() -> None:
    req = Request.from_payload({})

    assert req == {"body": None, "headers": {}, "pathParams": {}, "queryParams": {}, "rawBody": ""}


def test_an_unknown_attribute_raises_attribute_error() -> None:
    req = Request.from_payload({})

    with pytest.raises(AttributeError, match="'user'"):
        _ = req.user
    assert getattr(req, "user", None) is None
