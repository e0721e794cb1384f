"""JSON Schema -> TypeScript: a table of schemas and the type each must become."""

from __future__ import annotations

from typing import Any

import pytest

from stephost.typegen.ts_schema import TsSchemaConverter, join_intersection, join_union


def flat(schema: Any) -> str:
    """The converted type on one line, so the table stays readable."""
    text = TsSchemaConverter().convert(schema, owner="S")
    return " ".join(line.strip() for line in text.splitlines())


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": "integer"}, "number"),
        ({"type": "number"}, "number"),
        ({"type": "boolean"}, "boolean"),
        ({"type": "null"}, "null"),
        ({}, "unknown"),
        (True, "unknown"),
        (False, "never"),
        (None, "unknown"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"type": "string", "nullable": True}, "string | null"),
        ({"enum": ["a", "b'c", 3, True, None]}, '"a" | "b\'c" | 3 | true | null'),
        ({"type": "string", "enum": ["normal", "express"]}, '"normal" | "express"'),
        ({"const": "daily"}, '"daily"'),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "string | null"),
        ({"oneOf": [{"const": "a"}, {"const": "b"}]}, '"a" | "b"'),
        ({"anyOf": [{"type": "string"}, {}]}, "unknown"),
        ({"type": "array", "items": {"type": "string"}}, "Array<string>"),
        ({"type": "array"}, "Array<unknown>"),
        ({"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}}, "Array<string | number>"),
        (
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": False},
            "[string, number]",
        ),
        (
            {"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "boolean"}},
            "[string, ...Array<boolean>]",
        ),
    ],
)
def test_a_schema_becomes_its_typescript_type(schema: Any, expected: str) -> None:
    assert flat(schema) == expected


def test_required_properties_are_plain_and_the_others_optional() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "note": {"type": ["string", "null"]},
            "first-name": {"type": "string"},
        },
        "required": ["id"],
    }
    assert flat(schema) == '{ id: string note?: string | null "first-name"?: string }'


def test_an_object_is_closed_unless_additional_properties_say_otherwise() -> None:
    props = {"properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert flat({"type": "object", **props}) == "{ a: string }"
    assert flat({"type": "object", **props, "additionalProperties": False}) == "{ a: string }"
    assert flat({"type": "object", **props, "additionalProperties": True}) == "{ a: string [key: string]: unknown }"
    # A typed index signature would have to cover `a` too; `unknown` does, and `a` keeps its type.
    assert flat({"type": "object", **props, "additionalProperties": {"type": "number"}}) == (
        "{ a: string [key: string]: unknown }"
    )


def test_an_object_without_properties_is_a_record() -> None:
    assert flat({"type": "object"}) == "{ [key: string]: unknown }"
    assert flat({"type": "object", "additionalProperties": {"type": "number"}}) == "{ [key: string]: number }"
    assert flat({"type": "object", "additionalProperties": False}) == "Record<string, never>"


def test_a_required_key_without_a_property_schema_is_unknown() -> None:
    assert flat({"type": "object", "properties": {}, "required": ["x"], "additionalProperties": False}) == (
        "{ x: unknown }"
    )


def test_all_of_is_an_intersection_with_unions_parenthesised() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"anyOf": [{"type": "string"}, {"type": "number"}]},
        ]
    }
    assert flat(schema) == "{ a: string } & (string | number)"


def test_refs_to_defs_and_definitions_are_expanded_in_place() -> None:
    schema = {
        "$defs": {"Item": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]}},
        "definitions": {"Color": {"enum": ["red", "blue"]}},
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
            "color": {"$ref": "#/definitions/Color"},
            "odd/key": {"$ref": "#/properties/color"},
        },
        "required": ["items", "color"],
    }
    assert flat(schema) == '{ items: Array<{ sku: string }> color: "red" | "blue" "odd/key"?: "red" | "blue" }'


def test_a_ref_that_cannot_be_resolved_is_unknown() -> None:
    assert flat({"$ref": "https://example.com/schema.json"}) == "unknown"
    assert flat({"$ref": "#/$defs/Missing"}) == "unknown"


def test_a_recursive_ref_is_named_once_in_schema_defs() -> None:
    converter = TsSchemaConverter()
    schema = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
                "required": ["children"],
            }
        },
        "$ref": "#/$defs/Node",
    }
    text = " ".join(line.strip() for line in converter.convert(schema, owner="Tree.input").splitlines())
    assert text == '{ children: Array<SchemaDefs["Tree.input#/$defs/Node"]> }'
    assert list(converter.defs) == ["Tree.input#/$defs/Node"]
    definition = " ".join(line.strip() for line in converter.defs["Tree.input#/$defs/Node"].splitlines())
    assert definition == '{ children: Array<SchemaDefs["Tree.input#/$defs/Node"]> }'


def test_a_description_becomes_a_doc_comment_that_cannot_close_early() -> None:
    schema = {"type": "object", "properties": {"cron": {"type": "string", "description": "like */5\n * * * *"}}}
    assert flat(schema) == "{ /** like *\\/5 * * * * */ cron?: string }"


def test_nested_objects_are_indented_from_the_given_column() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}}
    assert TsSchemaConverter().convert(schema, owner="S", indent=4) == (
        "{\n      a?: {\n        b?: string\n      }\n    }"
    )


def test_unions_and_intersections_simplify() -> None:
    assert join_union(["string", "string", "never"]) == "string"
    assert join_union([]) == "never"
    assert join_union(["string", "unknown"]) == "unknown"
    assert join_intersection(["unknown"]) == "unknown"
    assert join_intersection(['"a|b"', "string"]) == '"a|b" & string'
