"""JSON Schema -> Python: expressions, TypedDict classes, refs, and code that imports cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from stephost.typegen.py_schema import NameAllocator, PySchemaConverter, PyType, pascal, py_union


def expr(schema: Any) -> str:
    return PySchemaConverter().expr(schema, hint="T").text


def module(converter: PySchemaConverter) -> str:
    imports = "from typing import Any, Literal, Never, NotRequired, TypeAlias, TypedDict\n"
    return "from __future__ import annotations\n" + imports + "\n\n".join(d.code for d in converter.definitions)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "str"),
        ({"type": "integer"}, "int"),
        ({"type": "number"}, "float"),
        ({"type": "boolean"}, "bool"),
        ({"type": "null"}, "None"),
        ({}, "Any"),
        (True, "Any"),
        (False, "Never"),
        ({"type": ["integer", "null"]}, "int | None"),
        ({"type": "string", "nullable": True}, "str | None"),
        ({"enum": ["a", "b"]}, "Literal['a', 'b']"),
        ({"enum": ["a", None]}, "Literal['a'] | None"),
        ({"enum": [1, True]}, "Literal[1, True]"),
        ({"enum": [1.5, "x"]}, "float | str"),
        ({"const": "daily"}, "Literal['daily']"),
        ({"oneOf": [{"const": "a|b"}, {"const": "c"}]}, "Literal['a|b', 'c']"),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "str | None"),
        ({"anyOf": [{"type": "string"}, {}]}, "Any"),
        ({"type": "array", "items": {"type": "string"}}, "list[str]"),
        ({"type": "array"}, "list[Any]"),
        (
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
            "list[str | int]",
        ),
        ({"type": "object"}, "dict[str, Any]"),
        ({"type": "object", "additionalProperties": {"type": "number"}}, "dict[str, float]"),
        ({"type": "object", "additionalProperties": False}, "dict[str, Never]"),
        ({"$ref": "https://example.com/x.json"}, "Any"),
    ],
)
def test_a_schema_becomes_its_python_type(schema: Any, expected: str) -> None:
    assert expr(schema) == expected


def test_an_object_becomes_a_typeddict_with_not_required_optional_keys() -> None:
    converter = PySchemaConverter()
    schema = {
        "type": "object",
        "description": "An order.",
        "properties": {
            "id": {"type": "string", "description": "the id"},
            "customer": {"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["id", "customer"],
    }
    assert converter.define(schema, "OrderBody") == "OrderBody"
    assert [d.name for d in converter.definitions] == ["OrderBodyCustomer", "OrderBody"]
    assert converter.definitions[1].code == (
        "class OrderBody(TypedDict):\n"
        '    """An order."""\n'
        "\n"
        "    # the id\n"
        "    id: str\n"
        "    customer: OrderBodyCustomer\n"
        "    note: NotRequired[str | None]"
    )
    assert converter.fields_of("OrderBody") == {
        "id": "str",
        "customer": "OrderBodyCustomer",
        "note": "NotRequired[str | None]",
    }


def test_keys_that_are_not_identifiers_use_the_call_syntax() -> None:
    converter = PySchemaConverter()
    schema = {"type": "object", "properties": {"from": {"type": "string"}, "first-name": {"type": "string"}}}
    converter.define(schema, "Odd")
    assert converter.definitions[0].code == (
        "Odd = TypedDict('Odd', {'from': NotRequired[str], 'first-name': NotRequired[str]})"
    )


def test_a_non_object_schema_becomes_an_alias() -> None:
    converter = PySchemaConverter()
    converter.define({"type": "array", "items": {"type": "string"}}, "Tags", doc="Tags of a post.")
    assert converter.definitions[0].code == "# Tags of a post.\nTags: TypeAlias = list[str]"


def test_a_pydantic_schema_with_defs_names_each_ref_once() -> None:
    converter = PySchemaConverter()
    schema = {
        "$defs": {
            "Item": {"properties": {"sku": {"title": "Sku", "type": "string"}}, "required": ["sku"], "type": "object"},
            "Color": {"enum": ["red", "blue"], "title": "Color", "type": "string"},
        },
        "properties": {
            "items": {"items": {"$ref": "#/$defs/Item"}, "type": "array"},
            "first": {"anyOf": [{"$ref": "#/$defs/Item"}, {"type": "null"}], "default": None},
            "color": {"$ref": "#/$defs/Color"},
        },
        "required": ["items", "color"],
        "title": "Order",
        "type": "object",
    }
    converter.define(schema, "NotifyInput")
    assert [d.name for d in converter.definitions] == ["NotifyInputItem", "NotifyInputColor", "NotifyInput"]
    assert converter.fields_of("NotifyInput") == {
        "items": "list[NotifyInputItem]",
        "first": "NotRequired[NotifyInputItem | None]",
        "color": "NotifyInputColor",
    }


def test_a_recursive_ref_refers_to_its_own_class() -> None:
    converter = PySchemaConverter()
    schema = {
        "definitions": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}},
                "required": ["children"],
            }
        },
        "$ref": "#/definitions/Node",
    }
    converter.define(schema, "Tree")
    assert converter.fields_of("TreeNode") == {"children": "list[TreeNode]"}
    assert converter.definitions[-1].code == "Tree: TypeAlias = TreeNode"


def test_an_alias_to_a_name_not_yet_defined_is_quoted() -> None:
    converter = PySchemaConverter()
    schema = {
        "$defs": {"Expr": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"$ref": "#/$defs/Expr"}}]}},
        "$ref": "#/$defs/Expr",
    }
    converter.define(schema, "Expression")
    assert converter.definitions[0].code == "ExpressionExpr: TypeAlias = 'str | list[ExpressionExpr]'"
    namespace: dict[str, Any] = {}
    exec(module(converter), namespace)  # imports cleanly: nothing refers forward unquoted
    assert "Expression" in namespace


def test_all_of_objects_merge_into_one_typeddict() -> None:
    converter = PySchemaConverter()
    schema = {
        "$defs": {"Base": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}},
        "allOf": [{"$ref": "#/$defs/Base"}, {"type": "object", "properties": {"n": {"type": "integer"}}}],
    }
    converter.define(schema, "Merged")
    assert converter.fields_of("Merged") == {"id": "str", "n": "NotRequired[int]"}
    assert expr({"allOf": [{"type": "string"}, {"minLength": 1}]}) == "Any"


def test_generated_definitions_run_as_a_module() -> None:
    converter = PySchemaConverter()
    converter.define(
        {
            "type": "object",
            "properties": {
                "class": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}}}},
                "list": {"type": "string"},
            },
        },
        "Weird",
    )
    namespace: dict[str, Any] = {}
    exec(module(converter), namespace)
    assert set(namespace["Weird"].__annotations__) == {"class", "list"}


def test_names_are_identifiers_and_unique() -> None:
    names = NameAllocator()
    assert pascal("order.created") == "OrderCreated"
    assert pascal("orderStatus") == "OrderStatus"
    assert pascal("2fa-codes") == "N2faCodes"
    assert pascal("...") == "Unnamed"
    assert names.take("OrderCreated") == "OrderCreated"
    assert names.take("OrderCreated") == "OrderCreated2"
    assert names.take("class") == "Class"
    assert names.take("Any") == "Any2"


def test_unions_flatten_and_simplify() -> None:
    assert py_union([PyType("str"), PyType("None"), PyType("int | str")]).text == "str | int | None"
    assert py_union([PyType("Never")]).text == "Never"
    assert py_union([PyType("str"), PyType("Any")]).text == "Any"
    assert py_union([PyType("A", frozenset({"A"})), PyType("B", frozenset({"B"}))]).deps == {"A", "B"}
