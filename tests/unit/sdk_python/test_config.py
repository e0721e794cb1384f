from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from stephost_sdk.config import ConfigError, serialise_config


class Body(BaseModel):
    text: str


class Reply(BaseModel):
    ok: bool


async def auth(req: Any, context: Any, next: Any) -> Any:
    return await next()


def log_request(req: Any, context: Any, next: Any) -> Any:
    return next()


def test_schemas_in_an_api_config_become_json_schema() -> None:
    config = {
        "type": "api",
        "name": "Post",
        "path": "/posts",
        "method": "POST",
        "emits": [],
        "bodySchema": Body,
        "responseSchema": {201: Reply, 400: {"type": "object"}},
    }

    sent = json.loads(serialise_config(config).config_json)

    assert sent["bodySchema"] == Body.model_json_schema()
    assert sent["responseSchema"] == {"201": Reply.model_json_schema(), "400": {"type": "object"}}
    assert config["bodySchema"] is Body, "the user's config dict is left alone"


def test_an_event_input_schema_becomes_json_schema() -> None:
    config = {"type": "event", "name": "E", "subscribes": ["a"], "emits": [], "input": Body}

    assert json.loads(serialise_config(config).config_json)["input"] == Body.model_json_schema()


def test_middleware_is_removed_and_counted() -> None:
    config = {
        "type": "api",
        "name": "A",
        "path": "/",
        "method": "GET",
        "emits": [],
        "middleware": [auth, log_request],
    }

    serialised = serialise_config(config)

    assert serialised.middleware_count == 2
    assert serialised.middleware == (auth, log_request)
    assert "middleware" not in json.loads(serialised.config_json)


def test_a_config_without_middleware_counts_zero() -> None:
    assert serialise_config({"type": "cron", "name": "C", "cron": "* * * * *", "emits": []}).middleware_count == 0


def test_middleware_that_is_not_a_function_is_refused_naming_its_index() -> None:
    with pytest.raises(ConfigError, match=r"'middleware\[1\]' must be a function"):
        serialise_config({"type": "api", "middleware": [auth, "auth"]})


def test_a_function_elsewhere_in_the_config_is_refused_naming_the_field() -> None:
    config = {"type": "api", "name": "A", "emits": [{"topic": "a", "label": log_request}]}

    with pytest.raises(ConfigError, match=r"'emits\[0\]\.label' is not JSON-serialisable.*function"):
        serialise_config(config)


def test_a_non_finite_number_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError, match=r"'infrastructure\.handler\.timeout' is inf"):
        serialise_config({"type": "event", "infrastructure": {"handler": {"timeout": float("inf")}}})


def test_can_access_is_removed() -> None:
    config = {"name": "todos", "schema": Body, "baseConfig": {"storageType": "default"}, "canAccess": auth}

    sent = json.loads(serialise_config(config).config_json)

    assert "canAccess" not in sent
    assert sent["schema"] == Body.model_json_schema()
