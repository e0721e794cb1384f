"""GET /openapi.json and `stephost openapi`: a valid OpenAPI 3.1 document of exactly the routes a host serves."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from stephost.app import Host
from stephost.host_settings import HostSettings
from stephost.testing import HostProcess
from tests.unit.host.openapi_support import body_schema, operations, response_schema, valid

ROOT = Path(__file__).resolve().parents[2]
ORDERS = ROOT / "examples" / "orders"
PROJECTS = Path(__file__).parent / "projects"
FIXTURE = PROJECTS / "openapi"


async def host_routes(project: Path) -> set[tuple[str, str]]:
    """The routes a host loads from `project`, spelled the OpenAPI way: what the document must describe."""
    host = Host(HostSettings(project=project, storage="memory"), lambda record: None)
    try:
        await host.load()
        return {(route.method, re.sub(r":(\w+)", r"{\1}", route.path)) for route in host.registry.routes}
    finally:
        await host.close()


def served_document(host: HostProcess) -> dict[str, Any]:
    response = httpx.get(host.url + "/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return valid(response.json())


def assert_every_operation_is_routed(host: HostProcess, document: dict[str, Any]) -> None:
    """Each documented operation reaches a step: the router answers neither 404 nor 405 for it."""
    for method, path in operations(document):
        url = host.url + re.sub(r"\{\w+\}", "x", path)
        response = httpx.request(method, url, timeout=30)
        unrouted = response.status_code == 405 or (response.status_code == 404 and "no route for" in response.text)
        assert not unrouted, (method, path, response.status_code, response.text)


def run_watched(args: list[str], out_dir: Path) -> tuple[int, str, str, set[int]]:
    """Run `python -m stephost.cli ARGS`; return its exit code, stdout, stderr and every descendant pid seen."""
    stdout, stderr = out_dir / "stdout", out_dir / "stderr"
    with stdout.open("w") as out, stderr.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "stephost.cli", *args], stdout=out, stderr=err)
        seen: set[int] = set()
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(psutil.NoSuchProcess):
                seen.update(child.pid for child in psutil.Process(proc.pid).children(recursive=True))
            time.sleep(0.01)
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
    return code, stdout.read_text(), stderr.read_text(), seen


def alive(pids: set[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            continue
    return out


async def test_the_orders_example_serves_a_valid_document_of_exactly_its_routes() -> None:
    expected = await host_routes(ORDERS)
    with HostProcess(ORDERS, mode="dev") as host:
        document = served_document(host)
        assert_every_operation_is_routed(host, document)

    assert expected == {("POST", "/orders"), ("GET", "/orders/{id}"), ("GET", "/orders/{id}/receipt")}
    assert operations(document) == expected
    assert document["info"]["title"] == "stephost-example-orders" and document["info"]["version"] == "0.0.0"
    create = document["paths"]["/orders"]["post"]
    assert create["operationId"] == "CreateOrder" and create["tags"] == ["orders"]
    # the zod bodySchema, as JSON Schema: it accepts what the host accepts
    order = {"item": "coffee", "quantity": 2, "customer": {"name": "Ada", "email": "ada@example.com"}}
    assert body_schema(document, "/orders", "post").is_valid(order)
    assert not body_schema(document, "/orders", "post").is_valid({**order, "quantity": 0})


async def test_a_host_in_start_mode_serves_the_document_of_the_mixed_project(mixed_host: HostProcess) -> None:
    expected = await host_routes(PROJECTS / "mixed")
    document = served_document(mixed_host)

    assert len(expected) >= 8
    assert operations(document) == expected
    assert document["info"]["title"] == "mixed-fixture"
    assert document["paths"]["/py/hello/{name}"]["get"]["parameters"][0]["name"] == "name"
    assert_every_operation_is_routed(mixed_host, document)


async def test_pydantic_and_zod_schemas_are_described_with_refs_that_resolve() -> None:
    expected = await host_routes(FIXTURE)
    with HostProcess(FIXTURE, mode="start") as host:
        document = served_document(host)
        good = {"customer": {"name": "Ada", "email": "ada@example.com"}, "lines": [{"sku": "tea", "qty": 2}]}
        bad = {"customer": {"name": "Ada"}, "lines": [{"sku": "tea", "qty": 2}]}
        created = httpx.post(host.url + "/customers/c1/invoices", json=good)
        refused = httpx.post(host.url + "/customers/c1/invoices", json=bad)
        tree = {"name": "a", "subcategories": [{"name": "b", "subcategories": []}]}
        saved = httpx.put(host.url + "/categories/t1", json=tree)

    assert expected == {("POST", "/customers/{customerId}/invoices"), ("PUT", "/categories/{tree}")}
    assert operations(document) == expected
    assert document["info"] == {
        "title": "openapi-fixture",
        "version": "1.2.3",
        "description": "api steps with Pydantic and zod schemas, for the OpenAPI tests",
    }
    assert document["tags"] == [{"name": "billing"}, {"name": "catalog"}]
    # Pydantic models nested in the body and the response are shared components
    assert {"Customer", "Line"} <= set(document["components"]["schemas"])
    invoices = "/customers/{customerId}/invoices"
    operation = document["paths"][invoices]["post"]
    assert operation["summary"] == "Bill a customer"
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [("customerId", "path"), ("draft", "query")]
    assert list(operation["responses"]) == ["201", "404"]
    # the document checks bodies as the host does, and describes what the handlers answer
    assert created.status_code == 201 and refused.status_code == 400, (created.text, refused.text)
    assert body_schema(document, invoices, "post").is_valid(good)
    assert not body_schema(document, invoices, "post").is_valid(bad)
    assert response_schema(document, invoices, "post", "201").is_valid(created.json())
    # zod 4 (recursive, `#`) and zod 3 (`#/properties/...`) refs point into components
    assert saved.status_code == 200, saved.text
    assert body_schema(document, "/categories/{tree}", "put").is_valid(tree)
    assert not body_schema(document, "/categories/{tree}", "put").is_valid({"name": "a", "subcategories": [{}]})
    assert response_schema(document, "/categories/{tree}", "put", "200").is_valid(saved.json())
    assert not response_schema(document, "/categories/{tree}", "put", "200").is_valid(
        {**saved.json(), "shipping": {"street": "x"}}
    )


def test_the_openapi_command_writes_what_the_host_serves_and_leaves_no_worker_behind(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    code, stdout, stderr, seen = run_watched(["openapi", str(ORDERS), "-o", str(target)], tmp_path)

    assert code == 0, stderr
    assert stdout == ""
    written = valid(json.loads(target.read_text()))
    assert len(seen) >= 4, "the command should have started a worker per step file"
    assert alive(seen) == [], f"workers left behind: {alive(seen)}"
    with HostProcess(ORDERS, mode="dev") as host:
        assert written == served_document(host)


def test_the_openapi_command_prints_the_document_without_an_output_file(tmp_path: Path) -> None:
    code, stdout, stderr, seen = run_watched(["openapi", str(FIXTURE)], tmp_path)

    assert code == 0, stderr
    document = valid(json.loads(stdout))
    assert document["info"]["title"] == "openapi-fixture"
    assert "/categories/{tree}" in document["paths"]
    assert seen and alive(seen) == []


def test_the_openapi_command_lists_invalid_steps_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    code, stdout, stderr, seen = run_watched(["openapi", str(PROJECTS / "invalid"), "-o", str(target)], tmp_path)

    assert code == 1, stdout + stderr
    assert "steps/unknown_key.step.ts (step 'UnknownKey') field 'bodySchemaa'" in stderr
    assert "steps/no_handler_step.py" in stderr and "HANDLER_MISSING" in stderr
    assert "no OpenAPI document written" in stderr
    assert not target.exists()
    assert seen and alive(seen) == []


def test_the_openapi_command_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    code, _, stderr, _ = run_watched(["openapi", str(tmp_path / "nope")], tmp_path)

    assert code == 2
    assert "is not a folder" in stderr
