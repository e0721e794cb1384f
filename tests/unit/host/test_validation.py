from __future__ import annotations

import pytest

from stephost.validation import InvalidSchema, compile_schema, unknown_query_params

ORDER = {
    "type": "object",
    "properties": {
        "item": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "customer": {
            "type": "object",
            "properties": {"email": {"type": "string", "format": "email"}},
            "required": ["email"],
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["item", "quantity"],
    "additionalProperties": False,
}


def check(value: object) -> list[tuple[str, str]]:
    compiled = compile_schema(ORDER)
    assert compiled is not None
    return [(p.path, p.message) for p in compiled.problems(value, "body")]


def test_a_matching_value_has_no_problems() -> None:
    assert check({"item": "tea", "quantity": 2, "customer": {"email": "a@b.co"}, "tags": ["x"]}) == []


def test_every_problem_is_reported_with_its_path() -> None:
    problems = check({"quantity": 0, "customer": {"email": "nope"}, "tags": ["x", 3], "extra": True})
    paths = [p for p, _ in problems]
    assert paths == ["body", "body", "body.customer.email", "body.quantity", "body.tags[1]"]
    messages = dict(problems)
    assert messages["body.customer.email"] == "'nope' is not a 'email'"
    assert any("'item' is a required property" in m for p, m in problems if p == "body")
    assert any("Additional properties are not allowed ('extra' was unexpected)" in m for _, m in problems)


def test_no_schema_means_nothing_to_check() -> None:
    assert compile_schema(None) is None


def test_an_invalid_schema_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidSchema, match="not valid JSON Schema"):
        compile_schema({"type": "strnig"})


def test_a_draft_7_schema_from_zod_is_honoured() -> None:
    compiled = compile_schema(
        {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["a"]}
    )
    assert compiled is not None
    assert [p.path for p in compiled.problems({}, "body")] == ["body"]


def test_undeclared_query_parameters_are_named() -> None:
    problems = unknown_query_params({"page": "1", "sort": "x"}, ({"name": "page"}, {"name": "limit"}))
    assert [(p.path, p.message) for p in problems] == [
        ("query.sort", "unknown query parameter 'sort'; this route accepts: limit, page")
    ]
