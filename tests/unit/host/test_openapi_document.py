"""The OpenAPI document built from step definitions: one valid operation per api route."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from stephost.openapi import ApiInfo, openapi_document, project_info
from tests.unit.host.openapi_support import body_schema, operations, response_schema, step, valid

INFO = ApiInfo(title="shop", version="1.2.3")


def api(name: str, method: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"type": "api", "name": name, "method": method, "path": path, "emits": [], **extra}


def document(*configs: dict[str, Any]) -> dict[str, Any]:
    return valid(openapi_document([step(c) for c in configs], INFO))


def test_a_route_with_params_becomes_a_templated_path_with_a_required_parameter_per_param() -> None:
    doc = document(api("GetItem", "GET", "/orders/:orderId/items/:itemId"))

    operation = doc["paths"]["/orders/{orderId}/items/{itemId}"]["get"]
    assert operation["operationId"] == "GetItem"
    assert operation["parameters"] == [
        {"name": "orderId", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}},
    ]


def test_query_params_become_optional_query_parameters_with_their_descriptions() -> None:
    doc = document(
        api(
            "Search",
            "GET",
            "/search/:index",
            queryParams=[{"name": "q", "description": "what to look for"}, {"name": "limit"}],
        )
    )

    assert doc["paths"]["/search/{index}"]["get"]["parameters"][1:] == [
        {
            "name": "q",
            "in": "query",
            "required": False,
            "description": "what to look for",
            "schema": {"type": "string"},
        },
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "string"}},
    ]


def test_the_body_schema_becomes_a_required_json_request_body() -> None:
    schema = {"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}
    doc = document(api("CreateOrder", "POST", "/orders", bodySchema=schema))

    body = doc["paths"]["/orders"]["post"]["requestBody"]
    assert body == {"required": True, "content": {"application/json": {"schema": schema}}}
    assert "components" not in doc


def test_each_response_schema_becomes_the_response_of_its_status() -> None:
    created = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    problem = {"type": "object", "properties": {"error": {"type": "string"}}}
    doc = document(api("CreateOrder", "POST", "/orders", responseSchema={"400": problem, "201": created}))

    responses = doc["paths"]["/orders"]["post"]["responses"]
    assert list(responses) == ["201", "400"]
    assert responses["201"] == {"description": "Created", "content": {"application/json": {"schema": created}}}
    assert responses["400"]["description"] == "Bad Request"
    assert response_schema(doc, "/orders", "post", "201").is_valid({"id": "ord_1"})
    assert not response_schema(doc, "/orders", "post", "201").is_valid({"total": 3})


def test_a_step_without_schemas_gets_a_default_response_and_no_request_body_or_parameters() -> None:
    doc = document(api("Ping", "GET", "/ping"))

    operation = doc["paths"]["/ping"]["get"]
    assert operation == {
        "operationId": "Ping",
        "responses": {"default": {"description": "the step's response (it declares no responseSchema)"}},
    }


def test_event_cron_and_noop_steps_have_no_operation() -> None:
    doc = document(
        api("Ping", "GET", "/ping"),
        {"type": "event", "name": "OnOrder", "subscribes": ["order.created"], "emits": [], "flows": ["events"]},
        {"type": "cron", "name": "Nightly", "cron": "0 3 * * *", "emits": []},
        {"type": "noop", "name": "Human", "virtualEmits": ["order.approved"], "virtualSubscribes": ["order.created"]},
    )

    assert operations(doc) == {("GET", "/ping")}
    assert "tags" not in doc  # the event step's flow names no route


def test_the_description_gives_the_summary_and_flows_give_tags() -> None:
    doc = document(
        api(
            "CreateOrder", "POST", "/orders", description="Place an order.\nIt is stored, then shipped.", flows=["shop"]
        ),
        api("Ping", "GET", "/ping", description="Liveness", flows=["ops", "shop"]),
    )

    create = doc["paths"]["/orders"]["post"]
    assert create["summary"] == "Place an order."
    assert create["description"] == "Place an order.\nIt is stored, then shipped."
    assert create["tags"] == ["shop"]
    ping = doc["paths"]["/ping"]["get"]
    assert ping["summary"] == "Liveness" and "description" not in ping
    assert ping["tags"] == ["ops", "shop"]
    assert doc["tags"] == [{"name": "ops"}, {"name": "shop"}]


def test_routes_that_differ_only_in_param_names_share_one_path_item() -> None:
    doc = document(
        api("GetOrder", "GET", "/orders/:id"),
        api("DeleteOrder", "DELETE", "/orders/:orderId/"),
        api("OrderStats", "GET", "/orders/stats"),
    )

    assert operations(doc) == {("GET", "/orders/{id}"), ("DELETE", "/orders/{id}"), ("GET", "/orders/stats")}
    assert doc["paths"]["/orders/{id}"]["delete"]["parameters"][0]["name"] == "id"


def test_optional_params_and_wildcards_become_described_path_parameters() -> None:
    doc = document(
        api("Users", "GET", "/users/:id?"), api("Files", "GET", "/files/*"), api("Raw", "GET", "/raw/:wildcard/*")
    )

    user_id = doc["paths"]["/users/{id}"]["get"]["parameters"][0]
    assert user_id["required"] is True  # OpenAPI has no optional path parameter
    assert "optional" in user_id["description"]
    wildcard = doc["paths"]["/files/{wildcard}"]["get"]["parameters"][0]
    assert wildcard["name"] == "wildcard" and "`/` included" in wildcard["description"]
    assert [p["name"] for p in doc["paths"]["/raw/{wildcard}/{wildcard2}"]["get"]["parameters"]] == [
        "wildcard",
        "wildcard2",
    ]


def test_every_method_of_a_path_is_an_operation_of_its_path_item() -> None:
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    doc = document(*(api(f"Op{m}", m, "/thing") for m in methods))

    assert list(doc["paths"]["/thing"]) == [m.lower() for m in methods]


def test_the_document_is_the_same_whatever_order_the_steps_come_in() -> None:
    configs = [
        api("B", "GET", "/b/:id", bodySchema={"$defs": {"X": {"type": "string"}}, "$ref": "#/$defs/X"}),
        api("A", "POST", "/a", bodySchema={"$defs": {"X": {"type": "integer"}}, "$ref": "#/$defs/X"}),
        api("Root", "GET", "/"),
        api("A2", "GET", "/a"),
        api("C", "PUT", "/c/:x/d", flows=["z", "y"]),
    ]
    docs = set()
    for seed in range(5):
        shuffled = configs[:]
        random.Random(seed).shuffle(shuffled)
        docs.add(json.dumps(document(*shuffled)))

    assert len(docs) == 1
    doc = json.loads(docs.pop())
    assert list(doc["paths"]) == ["/", "/a", "/b/{id}", "/c/{x}/d"]
    assert list(doc["paths"]["/a"]) == ["get", "post"]
    assert list(doc["components"]["schemas"]) == ["X", "X_2"]


def test_a_project_without_api_steps_gives_a_valid_document_with_no_paths() -> None:
    doc = valid(openapi_document([], INFO))

    assert doc == {"openapi": "3.1.0", "info": {"title": "shop", "version": "1.2.3"}, "paths": {}}


def test_info_comes_from_package_json_or_else_the_folder_name(tmp_path: Path) -> None:
    named = tmp_path / "named"
    named.mkdir()
    (named / "package.json").write_text(json.dumps({"name": "shop-api", "version": "2.0.1", "description": "Shop"}))
    bare = tmp_path / "bare-project"
    bare.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "package.json").write_text("{ not json")

    assert project_info(named) == ApiInfo(title="shop-api", version="2.0.1", description="Shop")
    assert project_info(bare) == ApiInfo(title="bare-project", version="0.0.0")
    assert project_info(broken) == ApiInfo(title="broken", version="0.0.0")
    info = valid(openapi_document([], project_info(named)))["info"]
    assert info == {"title": "shop-api", "version": "2.0.1", "description": "Shop"}


def test_a_body_schema_is_checked_by_the_document_as_by_the_host() -> None:
    schema = {"type": "object", "properties": {"quantity": {"type": "integer", "minimum": 1}}, "required": ["quantity"]}
    doc = document(api("CreateOrder", "POST", "/orders", bodySchema=schema))

    assert body_schema(doc, "/orders", "post").is_valid({"quantity": 2})
    assert not body_schema(doc, "/orders", "post").is_valid({"quantity": 0})
