from __future__ import annotations

from typing import Any

import pytest

from stephost.config import StepDefinition, parse_step_config
from stephost.errors import ConfigProblem


def parse(config: Any, middleware_count: int = 0) -> StepDefinition | list[ConfigProblem]:
    return parse_step_config(config, file="steps/x.step.ts", language="typescript", middleware_count=middleware_count)


def problems(config: Any, middleware_count: int = 0) -> list[str]:
    result = parse(config, middleware_count)
    assert isinstance(result, list), result
    return [str(p) for p in result]


API = {
    "type": "api",
    "name": "A",
    "path": "/a/:id",
    "method": "get",
    "emits": ["t", {"topic": "u", "label": "L"}],
}


def test_a_valid_api_step_is_parsed_with_its_emits_and_upper_case_method() -> None:
    step = parse(API)
    assert isinstance(step, StepDefinition)
    assert step.method == "GET"
    assert step.emit_topics == {"t", "u"}
    assert step.emits[1].label == "L"


def test_an_unknown_key_names_file_step_and_field() -> None:
    assert problems({**API, "bodySchemaa": {}}) == [
        "steps/x.step.ts (step 'A') field 'bodySchemaa': is not a known field of api steps"
    ]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"method": "FETCH"}, "method", "must be one of GET"),
        ({"path": "no-slash"}, "path", "must be a path starting with '/'"),
        ({"path": "/__stephost/health"}, "path", "'/__stephost/health' is reserved for stephost's own endpoints"),
        ({"path": "/__workbench/api"}, "path", "is reserved for stephost's own endpoints"),
        ({"emits": "t"}, "emits", "must be a list"),
        ({"emits": [{"topic": "t", "extra": 1}]}, "emits", "unknown key 'extra'"),
        ({"flows": [1]}, "flows", "non-empty strings"),
        ({"name": ""}, "name", "non-empty string"),
        ({"responseSchema": {"abc": {}}}, "responseSchema", "not an HTTP status code"),
        ({"queryParams": [{"nam": "x"}]}, "queryParams", "needs a string 'name'"),
    ],
)
def test_a_wrong_type_or_value_names_the_field_and_the_value(change: dict[str, Any], field: str, fragment: str) -> None:
    found = problems({**API, **change})
    assert len(found) == 1
    assert f"field '{field}'" in found[0]
    assert fragment in found[0]


def test_missing_required_fields_are_each_reported() -> None:
    found = problems({"type": "event", "name": "E"})
    assert found == ["steps/x.step.ts (step 'E') field 'subscribes': is required for event steps"]


def test_an_unknown_type_is_reported() -> None:
    assert problems({"type": "job", "name": "J"}) == [
        "steps/x.step.ts (step 'J') field 'type': must be one of api, event, cron, noop, got 'job'"
    ]


def test_a_bad_cron_expression_is_reported_with_the_expression() -> None:
    found = problems({"type": "cron", "name": "C", "cron": "61 * * * *", "emits": []})
    assert "field 'cron'" in found[0] and "'61 * * * *'" in found[0]


def test_middleware_on_an_event_step_is_refused() -> None:
    found = problems({"type": "event", "name": "E", "subscribes": ["t"], "emits": []}, middleware_count=1)
    assert found == ["steps/x.step.ts (step 'E') field 'middleware': is only for api steps, not event steps"]


def test_infrastructure_is_checked_and_parsed() -> None:
    step = parse(
        {
            "type": "event",
            "name": "E",
            "subscribes": ["t"],
            "emits": [],
            "infrastructure": {
                "handler": {"timeout": 5, "ram": 256},
                "queue": {"type": "fifo", "maxRetries": 0},
            },
        }
    )
    assert isinstance(step, StepDefinition)
    assert step.handler_limits.timeout_s == 5
    assert step.handler_limits.ram_mb == 256
    assert step.queue.type == "fifo"
    assert step.queue.max_retries == 0


@pytest.mark.parametrize(
    ("infra", "fragment"),
    [
        ({"handler": {"timeout": 0}}, "infrastructure.handler.timeout' : must be within"),
        ({"handler": {"ram": 64}}, "infrastructure.handler.ram"),
        ({"queue": {"type": "lifo"}}, "must be 'standard' or 'fifo'"),
        ({"queue": {"maxRetries": 1.5}}, "must be an integer"),
        (
            {"handler": {"timeout": 30}, "queue": {"visibilityTimeout": 10}},
            "must exceed handler.timeout (30 s)",
        ),
        ({"queue": {"retries": 1}}, "infrastructure.queue.retries"),
    ],
)
def test_bad_infrastructure_names_the_nested_field(infra: dict[str, Any], fragment: str) -> None:
    found = problems({"type": "event", "name": "E", "subscribes": ["t"], "emits": [], "infrastructure": infra})
    assert any(fragment.replace("' : ", "': ") in p for p in found), found


def test_a_noop_step_needs_no_handler_fields() -> None:
    step = parse({"type": "noop", "name": "N", "virtualEmits": ["a"], "virtualSubscribes": ["b"]})
    assert isinstance(step, StepDefinition)
    assert step.virtual_emits[0].topic == "a"
