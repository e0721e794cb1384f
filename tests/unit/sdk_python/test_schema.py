from __future__ import annotations

import pytest
from pydantic import BaseModel, TypeAdapter

from stephost_sdk.schema import SchemaError, to_json_schema


class Item(BaseModel):
    name: str
    quantity: int = 1


def test_a_pydantic_model_class_becomes_its_json_schema() -> None:
    schema = to_json_schema(Item, "bodySchema")

    assert schema == Item.model_json_schema()
    assert schema["properties"]["name"] == {"title": "Name", "type": "string"}
    assert schema["required"] == ["name"]


def test_a_json_schema_dict_passes_through_unchanged() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string"}}}

    assert to_json_schema(schema, "input") is schema


def test_a_type_adapter_becomes_its_json_schema() -> None:
    assert to_json_schema(TypeAdapter(list[int]), "input") == {"type": "array", "items": {"type": "integer"}}


def test_none_passes_through() -> None:
    assert to_json_schema(None, "input") is None


def test_a_model_instance_is_refused_with_a_hint_to_pass_the_class() -> None:
    with pytest.raises(SchemaError, match=r"'bodySchema'.*instance of Item.*pass the class"):
        to_json_schema(Item(name="x"), "bodySchema")


def test_a_value_that_is_not_a_schema_is_refused_naming_the_field() -> None:
    with pytest.raises(SchemaError, match=r"'responseSchema.200'.*type str"):
        to_json_schema("not a schema", "responseSchema.200")
