"""Step schemas inside the OpenAPI document: definitions hoisted, refs rewritten, still checking the same."""

from __future__ import annotations

import copy
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from stephost.openapi import ApiInfo, openapi_document
from tests.unit.host.openapi_support import body_schema, response_schema, step, valid

T = TypeVar("T")


class Customer(BaseModel):
    name: str
    email: str


class Line(BaseModel):
    sku: str
    qty: int


class Order(BaseModel):
    customer: Customer
    lines: list[Line]


class Node(BaseModel):
    label: str
    children: list[Node] = []


class Page(BaseModel, Generic[T]):
    items: list[T]


class Catalog(BaseModel):
    page: Page[Line]


# What zod-to-json-schema (zod 3) gives for a schema reusing one object twice, with a tuple.
ZOD3_REUSED = {
    "type": "object",
    "properties": {
        "billing": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            "required": ["street", "city"],
            "additionalProperties": True,
        },
        "shipping": {"$ref": "#/properties/billing"},
        "pair": {"type": "array", "minItems": 2, "maxItems": 2, "items": [{"type": "string"}, {"type": "number"}]},
    },
    "required": ["billing", "shipping", "pair"],
    "additionalProperties": True,
    "$schema": "http://json-schema.org/draft-07/schema#",
}
# What zod 4's toJSONSchema (target draft-7) gives for a recursive object, and for one nested recursively.
ZOD4_RECURSIVE_ROOT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"name": {"type": "string"}, "subcategories": {"type": "array", "items": {"$ref": "#"}}},
    "required": ["name", "subcategories"],
}
ZOD4_RECURSIVE_DEF = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "head": {"$ref": "#/definitions/__schema0"},
        "tuple": {
            "type": "array",
            "items": [{"type": "string"}, {"type": "number"}],
            "additionalItems": False,
            "minItems": 2,
            "maxItems": 2,
        },
    },
    "required": ["head", "tuple"],
    "definitions": {
        "__schema0": {
            "type": "object",
            "properties": {"v": {"type": "string"}, "next": {"allOf": [{"$ref": "#/definitions/__schema0"}]}},
            "required": ["v"],
        }
    },
}

ORDER = {"customer": {"name": "Ada", "email": "ada@example.com"}, "lines": [{"sku": "tea", "qty": 2}]}


def post(name: str, body: Any = None, responses: dict[str, Any] | None = None, path: str = "/x") -> dict[str, Any]:
    config: dict[str, Any] = {"type": "api", "name": name, "method": "POST", "path": path, "emits": []}
    if body is not None:
        config["bodySchema"] = body
    if responses is not None:
        config["responseSchema"] = responses
    return config


def document(*configs: dict[str, Any]) -> dict[str, Any]:
    return valid(openapi_document([step(c) for c in configs], ApiInfo("t")))


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_pydantic_defs_become_components_and_the_body_still_checks_the_same() -> None:
    doc = document(post("CreateOrder", Order.model_json_schema(), path="/orders"))

    schemas = doc["components"]["schemas"]
    assert set(schemas) == {"Customer", "Line"}
    assert schemas["Customer"] == Customer.model_json_schema()
    body = doc["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "$defs" not in body
    assert body["properties"]["customer"] == {"$ref": "#/components/schemas/Customer"}
    check = body_schema(doc, "/orders", "post")
    assert check.is_valid(ORDER)
    assert not check.is_valid({**ORDER, "customer": {"name": "Ada"}})
    assert not check.is_valid({**ORDER, "lines": [{"sku": "tea", "qty": "two"}]})


def test_a_recursive_pydantic_model_refers_to_its_own_component() -> None:
    doc = document(post("Tree", responses={"200": Node.model_json_schema()}))

    assert doc["paths"]["/x"]["post"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Node"
    }
    assert doc["components"]["schemas"]["Node"]["properties"]["children"]["items"] == {
        "$ref": "#/components/schemas/Node"
    }
    check = response_schema(doc, "/x", "post", "200")
    assert check.is_valid({"label": "a", "children": [{"label": "b", "children": [{"label": "c"}]}]})
    assert not check.is_valid({"label": "a", "children": [{"children": []}]})


def test_a_zod_schema_pointing_into_itself_becomes_a_component_its_refs_point_into() -> None:
    doc = document(post("Ship", ZOD3_REUSED, path="/shipments"))

    body = doc["paths"]["/shipments"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ShipBody"}
    component = doc["components"]["schemas"]["ShipBody"]
    assert "$schema" not in component
    assert component["properties"]["shipping"] == {"$ref": "#/components/schemas/ShipBody/properties/billing"}
    # a draft-07 tuple, spelled the 2020-12 way
    assert component["properties"]["pair"]["prefixItems"] == [{"type": "string"}, {"type": "number"}]
    assert "items" not in component["properties"]["pair"]
    check = body_schema(doc, "/shipments", "post")
    address = {"street": "Main St 1", "city": "Bern"}
    assert check.is_valid({"billing": address, "shipping": address, "pair": ["a", 1]})
    assert not check.is_valid({"billing": address, "shipping": {"street": "x"}, "pair": ["a", 1]})
    assert not check.is_valid({"billing": address, "shipping": address, "pair": [1, "a"]})


def test_zod_4_recursive_schemas_keep_working() -> None:
    doc = document(post("Categories", ZOD4_RECURSIVE_ROOT, {"200": ZOD4_RECURSIVE_DEF}, path="/categories"))

    schemas = doc["components"]["schemas"]
    assert set(schemas) == {"CategoriesBody", "__schema0"}
    assert schemas["CategoriesBody"]["properties"]["subcategories"]["items"] == {
        "$ref": "#/components/schemas/CategoriesBody"
    }
    tuple_schema = doc["paths"]["/categories"]["post"]["responses"]["200"]["content"]["application/json"]["schema"][
        "properties"
    ]["tuple"]
    assert tuple_schema["prefixItems"] == [{"type": "string"}, {"type": "number"}]
    assert tuple_schema["items"] is False
    body = body_schema(doc, "/categories", "post")
    assert body.is_valid({"name": "a", "subcategories": [{"name": "b", "subcategories": []}]})
    assert not body.is_valid({"name": "a", "subcategories": [{"name": "b"}]})
    response = response_schema(doc, "/categories", "post", "200")
    assert response.is_valid({"head": {"v": "a", "next": {"v": "b"}}, "tuple": ["x", 1]})
    assert not response.is_valid({"head": {"v": "a", "next": {"v": 2}}, "tuple": ["x", 1]})
    assert not response.is_valid({"head": {"v": "a"}, "tuple": ["x", 1, "extra"]})


def test_equal_definitions_are_shared_and_different_ones_under_one_name_are_told_apart() -> None:
    other_customer = {"$defs": {"Customer": {"type": "string"}}, "$ref": "#/$defs/Customer"}
    doc = document(
        post("CreateOrder", Order.model_json_schema(), path="/a"),
        post("UpdateOrder", Order.model_json_schema(), path="/b"),
        post("Rename", other_customer, path="/c"),
    )

    schemas = doc["components"]["schemas"]
    assert set(schemas) == {"Customer", "Customer_2", "Line"}
    assert schemas["Customer_2"] == {"type": "string"}
    assert doc["paths"]["/c"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Customer_2"
    }
    assert body_schema(doc, "/a", "post").is_valid(ORDER)
    assert body_schema(doc, "/c", "post").is_valid("Ada")


def test_definition_names_become_valid_component_names() -> None:
    weird = {
        "$defs": {"a b/c~d": {"type": "integer"}, "a_b_c_d": {"type": "string"}},
        "properties": {"x": {"$ref": "#/$defs/a%20b~1c~0d"}, "y": {"$ref": "#/$defs/a_b_c_d"}},
    }
    doc = document(post("Catalog", Catalog.model_json_schema(), path="/p"), post("Weird", weird, path="/w"))

    schemas = doc["components"]["schemas"]
    assert {"Line", "Page_Line_", "a_b_c_d", "a_b_c_d_2"} == set(schemas)
    assert body_schema(doc, "/p", "post").is_valid({"page": {"items": [{"sku": "a", "qty": 1}]}})
    assert not body_schema(doc, "/p", "post").is_valid({"page": {"items": [{"sku": "a"}]}})
    check = body_schema(doc, "/w", "post")
    assert check.is_valid({"x": 1, "y": "s"})
    assert not check.is_valid({"x": "s"})
    assert not check.is_valid({"y": 1})


def test_data_that_looks_like_schema_keywords_is_left_alone() -> None:
    schema = {
        "type": "object",
        "properties": {"$ref": {"type": "string"}, "items": {"const": {"$ref": "#/$defs/Nope"}}},
        "default": {"$ref": "#", "items": [1, 2]},
        "examples": [{"$ref": "#/$defs/Nope"}],
    }
    doc = document(post("Odd", schema))

    assert doc["paths"]["/x"]["post"]["requestBody"]["content"]["application/json"]["schema"] == schema
    assert "components" not in doc


def test_a_schema_with_its_own_id_resolves_its_refs_itself_and_is_kept_as_it_is() -> None:
    schema = {
        "$id": "https://example.com/order.json",
        "$defs": {"Qty": {"type": "integer"}},
        "properties": {"qty": {"$ref": "#/$defs/Qty"}},
    }
    doc = document(post("Own", schema))

    assert doc["paths"]["/x"]["post"]["requestBody"]["content"]["application/json"]["schema"] == schema


def test_the_steps_own_schemas_are_not_changed() -> None:
    definition = step(post("Ship", ZOD3_REUSED, {"200": Order.model_json_schema()}))
    before = copy.deepcopy((definition.body_schema, definition.response_schema))

    document_refs = refs(openapi_document([definition], ApiInfo("t")))

    assert (definition.body_schema, definition.response_schema) == before
    assert all(r.startswith("#/components/schemas/") for r in document_refs)
