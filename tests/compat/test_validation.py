"""Request validation, routing errors and the body limit, on the `shop` project run with `start`.

shop is a CommonJS TypeScript project with a tsconfig `paths` alias, zod schemas,
a Pydantic `model_json_schema()` body, a Pydantic class as an event input, a
plain-JSON-Schema CommonJS JavaScript step and a noop step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from stephost.testing import HostProcess
from tests.compat.helpers import HostFactory, records, wait_for

DEFAULT_BODY_LIMIT = 10 * 1024 * 1024

VALID_ORDER: dict[str, Any] = {
    "customer": {"name": "Ada", "email": "ada@example.com"},
    "items": [{"sku": "apple", "qty": 2}, {"sku": "pear", "qty": 1}],
}


@pytest.fixture(scope="module")
def shop(compat_host: HostFactory) -> Iterator[HostProcess]:
    with compat_host("shop", mode="start") as host:
        yield host


def order(**changes: Any) -> dict[str, Any]:
    """VALID_ORDER with top-level keys replaced (a value of None removes the key)."""
    body = {**VALID_ORDER, **changes}
    return {k: v for k, v in body.items() if v is not None}


def assert_traced(r: httpx.Response) -> dict[str, Any]:
    """The JSON error body, after checking it carries the same traceId as the x-trace-id header."""
    assert r.headers["content-type"].startswith("application/json"), r.text
    body: dict[str, Any] = r.json()
    assert r.headers["x-trace-id"], "every response carries x-trace-id"
    assert body["traceId"] == r.headers["x-trace-id"]
    return body


def detail_paths(body: dict[str, Any]) -> list[str]:
    return [d["path"] for d in body["details"]]


# --------------------------------------------------------------------------- good requests


def test_a_valid_order_passes_the_zod_schema_and_reaches_the_python_subscriber(shop: HostProcess) -> None:
    r = httpx.post(shop.url + "/orders", json=VALID_ORDER)
    assert r.status_code == 201, r.text
    created = r.json()
    # priced by src/services/pricing.ts, imported through the tsconfig alias @services/*
    assert created["total"] == 2 * 3 + 1 * 4

    # StoreOrder (Python, input given as a Pydantic class) stored it via src.services.ids
    def stored() -> Any:
        got = httpx.get(shop.url + f"/orders/{created['id']}")
        return got.json() if got.status_code == 200 else None

    assert wait_for(stored) == {"id": created["id"], "email": "ada@example.com", "total": 10.0}


def test_declared_query_parameters_are_accepted(shop: HostProcess) -> None:
    r = httpx.get(shop.url + "/search", params={"q": "apple", "limit": "5"})
    assert r.status_code == 200, r.text
    assert r.json() == {"q": "apple", "limit": "5"}
    r = httpx.post(shop.url + "/orders", params={"dryRun": "1"}, json=VALID_ORDER)
    assert r.status_code == 201, r.text


def test_a_body_matching_a_pydantic_model_json_schema_reaches_the_python_handler(shop: HostProcess) -> None:
    r = httpx.post(shop.url + "/signup", json={"username": "grace", "age": 36, "tags": ["navy"]})
    assert r.status_code == 201, r.text
    assert r.json() == {"welcome": "grace", "tags": ["navy"]}


# --------------------------------------------------------------------------- refused requests


def test_a_body_not_matching_the_zod_schema_gets_400_and_the_handler_never_runs(shop: HostProcess) -> None:
    bad = order(customer={"name": "Ada", "email": "not-an-email"})
    r = httpx.post(shop.url + "/orders", json=bad)
    assert r.status_code == 400, r.text
    body = assert_traced(r)
    assert set(body) == {"error", "details", "traceId"}
    assert body["error"] == "request body does not match the schema of step 'CreateOrder'"
    # zod's email() gives both a format and a pattern: one detail each, same path
    assert set(detail_paths(body)) == {"body.customer.email"}
    assert all(d["message"] for d in body["details"])
    # The handler logs "creating order" first thing; a refused request has no such record.
    ok = httpx.post(shop.url + "/orders", params={"dryRun": "1"}, json=VALID_ORDER)
    wait_for(lambda: records(shop, step="CreateOrder", traceId=ok.headers["x-trace-id"]))
    assert records(shop, step="CreateOrder", traceId=body["traceId"]) == []


def test_every_schema_error_is_listed_with_a_dotted_path_and_array_indexes(shop: HostProcess) -> None:
    bad = {
        "customer": {"name": "Ada"},
        "items": [{"sku": "apple", "qty": 1}, {"sku": 7, "qty": "two"}],
        "coupon": "FREE",
    }
    r = httpx.post(shop.url + "/orders", json=bad)
    assert r.status_code == 400
    body = assert_traced(r)
    by_path = {d["path"]: d["message"] for d in body["details"]}
    assert set(by_path) == {"body", "body.customer", "body.items[1].sku", "body.items[1].qty"}
    assert "coupon" in by_path["body"]
    assert "email" in by_path["body.customer"]


def test_a_pydantic_model_with_extra_forbid_refuses_unknown_fields(shop: HostProcess) -> None:
    r = httpx.post(shop.url + "/signup", json={"username": "grace", "age": "old", "admin": True})
    assert r.status_code == 400
    body = assert_traced(r)
    assert body["error"] == "request body does not match the schema of step 'Signup'"
    by_path = {d["path"]: d["message"] for d in body["details"]}
    assert set(by_path) == {"body", "body.age"}
    assert "admin" in by_path["body"]


def test_a_plain_json_schema_in_a_commonjs_step_is_enforced(shop: HostProcess) -> None:
    r = httpx.put(shop.url + "/orders/o-1/status", json={"status": "lost"})
    assert r.status_code == 400
    body = assert_traced(r)
    assert body["error"] == "request body does not match the schema of step 'SetOrderStatus'"
    assert detail_paths(body) == ["body.status"]
    ok = httpx.put(shop.url + "/orders/o-1/status", json={"status": "paid"})
    assert ok.status_code == 200
    assert ok.json() == {"id": "o-1", "status": "paid"}


def test_an_undeclared_query_parameter_is_refused_with_its_name(shop: HostProcess) -> None:
    r = httpx.post(shop.url + "/orders", params={"dryRun": "1", "coupon": "FREE"}, json=VALID_ORDER)
    assert r.status_code == 400
    body = assert_traced(r)
    assert isinstance(body["error"], str) and body["error"]
    assert detail_paths(body) == ["query.coupon"]


def test_start_does_not_serve_post_emit_unless_asked(shop: HostProcess) -> None:
    r = httpx.post(shop.url + "/emit", json={"topic": "order.created", "data": {"id": "x", "email": "e", "total": 1}})
    assert r.status_code == 404
    body = assert_traced(r)
    assert body["error"] == "no route for POST /emit"


def test_a_noop_step_with_flows_is_accepted_by_start_and_gets_no_worker(shop: HostProcess) -> None:
    with httpx.Client() as client:
        workers = {w["step"]: w for w in client.get(shop.url + "/__stephost/workers").json()["workers"]}
    assert workers["PackOrder"]["pid"] is None
    assert workers["CreateOrder"]["pid"]


# --------------------------------------------------------------------------- the table of bad inputs


@dataclass(frozen=True)
class Bad:
    method: str
    path: str
    status: int
    error: str  # the exact error, or its start when it ends with "..."
    details: dict[str, str] = field(default_factory=dict)  # path -> a word its message must contain
    json: Any = None
    content: bytes | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    allow: str | None = None

    def send(self, base: str) -> httpx.Response:
        return httpx.request(
            self.method,
            base + self.path,
            json=self.json,
            content=self.content,
            params=self.params,
            headers=self.headers,
            timeout=60,
        )


ORDER_SCHEMA_ERROR = "request body does not match the schema of step 'CreateOrder'"
SIGNUP_SCHEMA_ERROR = "request body does not match the schema of step 'Signup'"
JSON = {"content-type": "application/json"}

BAD_INPUTS = {
    "malformed JSON": Bad("POST", "/orders", 400, "malformed JSON body: ...", content=b'{"customer": ', headers=JSON),
    "JSON with a trailing comma": Bad(
        "POST", "/signup", 400, "malformed JSON body: ...", content=b'{"username": "ada",}', headers=JSON
    ),
    "not UTF-8": Bad("POST", "/signup", 400, "malformed JSON body: ...", content=b'{"username": "\xff"}', headers=JSON),
    "array instead of object": Bad("POST", "/orders", 400, ORDER_SCHEMA_ERROR, {"body": "object"}, json=[VALID_ORDER]),
    "string where a number is expected": Bad(
        "POST", "/signup", 400, SIGNUP_SCHEMA_ERROR, {"body.age": "integer"}, json={"username": "ada", "age": "3"}
    ),
    "number where a string is expected": Bad(
        "POST",
        "/orders",
        400,
        ORDER_SCHEMA_ERROR,
        {"body.customer.name": "string"},
        json=order(customer={"name": 42, "email": "ada@example.com"}),
    ),
    "wrong type inside an array item": Bad(
        "POST",
        "/orders",
        400,
        ORDER_SCHEMA_ERROR,
        {"body.items[0].qty": "integer"},
        json=order(items=[{"sku": "apple", "qty": 1.5}]),
    ),
    "empty array below minItems": Bad(
        "POST", "/orders", 400, ORDER_SCHEMA_ERROR, {"body.items": ""}, json=order(items=[])
    ),
    "missing required field": Bad(
        "POST", "/orders", 400, ORDER_SCHEMA_ERROR, {"body": "customer"}, json=order(customer=None)
    ),
    "missing required nested field": Bad(
        "POST", "/orders", 400, ORDER_SCHEMA_ERROR, {"body.customer": "email"}, json=order(customer={"name": "Ada"})
    ),
    "empty body": Bad("POST", "/signup", 400, SIGNUP_SCHEMA_ERROR, {"body": "username"}, content=b"", headers=JSON),
    "extra field with additionalProperties false (zod strict)": Bad(
        "POST", "/orders", 400, ORDER_SCHEMA_ERROR, {"body": "coupon"}, json=order(coupon="FREE")
    ),
    "extra field with additionalProperties false (Pydantic extra=forbid)": Bad(
        "POST",
        "/signup",
        400,
        SIGNUP_SCHEMA_ERROR,
        {"body": "admin"},
        json={"username": "ada", "age": 3, "admin": True},
    ),
    "Pydantic constraint": Bad(
        "POST", "/signup", 400, SIGNUP_SCHEMA_ERROR, {"body.username": ""}, json={"username": "a", "age": -1}
    ),
    "text body of exactly 10 MiB is read, then refused by the schema": Bad(
        "POST",
        "/orders",
        400,
        ORDER_SCHEMA_ERROR,
        {"body": "object"},
        content=b"x" * DEFAULT_BODY_LIMIT,
        headers={"content-type": "text/plain"},
    ),
    "body over the 10 MiB default limit": Bad(
        "POST", "/orders", 413, "...", content=b"x" * (DEFAULT_BODY_LIMIT + 1), headers={"content-type": "text/plain"}
    ),
    "undeclared query parameter": Bad(
        "GET", "/search", 400, "...", {"query.page": "page"}, params={"q": "apple", "page": "2"}
    ),
    "several undeclared query parameters": Bad(
        "GET", "/search", 400, "...", {"query.page": "page", "query.sort": "sort"}, params={"page": "2", "sort": "asc"}
    ),
    "wrong method": Bad("DELETE", "/orders", 405, "...", allow="POST"),
    "wrong method on a path with params": Bad("POST", "/orders/o-1", 405, "...", allow="GET"),
    "unknown path": Bad("GET", "/nope", 404, "no route for GET /nope"),
    "unknown nested path": Bad("PATCH", "/orders/o-1/status/extra", 404, "no route for PATCH /orders/o-1/status/extra"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_inputs_get_the_right_status_and_a_json_error_with_the_trace_id(shop: HostProcess, case: Bad) -> None:
    r = case.send(shop.url)
    assert r.status_code == case.status, r.text[:500]
    body = assert_traced(r)
    assert isinstance(body["error"], str) and body["error"]
    if case.error.endswith("..."):
        assert body["error"].startswith(case.error[:-3]), body
    else:
        assert body["error"] == case.error, body
    if case.details:
        by_path = {d["path"]: d["message"] for d in body["details"]}
        for path, word in case.details.items():
            assert path in by_path, body["details"]
            assert word in by_path[path], body["details"]
    elif case.status != 405:
        assert set(body) == {"error", "traceId"}, body
    if case.allow is not None:
        assert r.headers["allow"] == case.allow
