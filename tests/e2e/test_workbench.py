"""The Workbench's JSON API and live socket, on real hosts with real TypeScript and Python workers."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from stephost.testing import HostProcess, wait_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROJECTS = Path(__file__).parent / "projects"


@pytest.fixture(scope="module")
def orders_dev() -> Iterator[HostProcess]:
    with HostProcess(EXAMPLES / "orders", mode="dev") as host:
        yield host


def copy_project(name: str, parent: Path) -> Path:
    """`dev` writes generated types into the project: it runs on a copy, not on the checked-in fixture."""
    return Path(shutil.copytree(PROJECTS / name, parent / name, ignore=shutil.ignore_patterns("__pycache__")))


@pytest.fixture(scope="module")
def mixed_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    with HostProcess(copy_project("mixed", tmp_path_factory.mktemp("wb")), mode="dev") as host:
        yield host


def flows(host: HostProcess) -> dict[str, dict[str, Any]]:
    r = httpx.get(host.url + "/__workbench/api/flows")
    assert r.status_code == 200
    return {f["name"]: f for f in r.json()["flows"]}


def trace(host: HostProcess, trace_id: str) -> dict[str, Any]:
    r = httpx.get(f"{host.url}/__workbench/api/traces/{trace_id}")
    assert r.status_code == 200
    result: dict[str, Any] = r.json()["trace"]
    return result


def invocations(t: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(e["step"], e["trigger"], e["language"], e["outcome"]) for e in t["events"] if e["kind"] == "invocation"]


def test_the_page_and_its_files_are_served_in_dev(orders_dev: HostProcess) -> None:
    page = httpx.get(orders_dev.url + "/__workbench")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/__workbench/static/app.js" in page.text
    for name, kind in [("app.js", "text/javascript"), ("app.css", "text/css")]:
        r = httpx.get(f"{orders_dev.url}/__workbench/static/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(kind)
    assert httpx.get(orders_dev.url + "/__workbench/static/secret.py").status_code == 404


def test_the_orders_flow_has_its_steps_and_the_order_created_edge(orders_dev: HostProcess) -> None:
    graphs = flows(orders_dev)
    assert set(graphs) >= {"all", "orders"}
    nodes = {n["name"]: n for n in graphs["all"]["nodes"]}
    assert set(nodes) == {"CreateOrder", "StoreOrder", "GetOrder", "OrderReceipt", "CountOrders"}
    assert (nodes["OrderReceipt"]["type"], nodes["OrderReceipt"]["language"]) == ("api", "ruby")
    assert (nodes["CreateOrder"]["type"], nodes["CreateOrder"]["language"]) == ("api", "typescript")
    assert (nodes["CreateOrder"]["method"], nodes["CreateOrder"]["path"]) == ("POST", "/orders")
    assert nodes["CreateOrder"]["bodySchema"]["properties"]["item"]["type"] == "string"
    assert (nodes["StoreOrder"]["type"], nodes["StoreOrder"]["language"]) == ("event", "python")
    assert nodes["StoreOrder"]["subscribes"] == ["order.created"]
    assert nodes["CountOrders"]["type"] == "cron" and nodes["CountOrders"]["cron"]
    edges = [(e["from"], e["topic"], e["to"], e["virtual"]) for e in graphs["all"]["edges"]]
    assert edges == [("CreateOrder", "order.created", "StoreOrder", False)]


def test_virtual_emits_and_noop_subscribers_are_virtual_edges(tmp_path: Path) -> None:
    with HostProcess(copy_project("workbench_dlq", tmp_path), mode="dev") as host:
        graphs = flows(host)
    edges = {(e["from"], e["topic"], e["to"], e["virtual"], e["label"]) for e in graphs["jobs"]["edges"]}
    assert edges == {
        ("QueueJob", "job.queued", "FailOnce", False, "job.queued"),
        ("QueueJob", "job.audited", "Audit", True, "audit"),
    }
    assert {n["name"]: n["type"] for n in graphs["jobs"]["nodes"]}["Audit"] == "noop"


def test_a_request_trace_holds_the_api_call_its_emit_and_the_event_step_across_languages(
    orders_dev: HostProcess,
) -> None:
    order = {"item": "book", "quantity": 2, "customer": {"name": "Ada", "email": "ada@example.com"}}
    r = httpx.post(orders_dev.url + "/orders", json=order)
    assert r.status_code == 201
    trace_id = r.headers["x-trace-id"]
    t = wait_for(lambda: (lambda t: t if len(invocations(t)) == 2 else None)(trace(orders_dev, trace_id)))
    assert invocations(t) == [
        ("CreateOrder", "api", "typescript", "ok"),
        ("StoreOrder", "event", "python", "ok"),
    ]
    api_call = next(e for e in t["events"] if e["kind"] == "invocation")
    assert (api_call["method"], api_call["path"], api_call["status"]) == ("POST", "/orders", 201)
    assert api_call["durationMs"] >= 0
    emits = [(e["step"], e["topic"], e["subscribers"]) for e in t["events"] if e["kind"] == "emit"]
    assert emits == [("CreateOrder", "order.created", ["StoreOrder"])]
    assert any(e["kind"] == "state" and e["op"] == "set" and e["step"] == "StoreOrder" for e in t["events"])
    messages = {(log["step"], log["msg"]) for log in t["logs"]}
    assert {("CreateOrder", "order accepted"), ("StoreOrder", "order stored")} <= messages
    recent = httpx.get(orders_dev.url + "/__workbench/api/traces").json()["traces"]
    assert trace_id in [x["traceId"] for x in recent]


def test_a_chain_through_typescript_python_and_javascript_is_one_trace(mixed_dev: HostProcess) -> None:
    r = httpx.post(mixed_dev.url + "/chain", json={"n": 1})
    assert r.status_code == 202
    trace_id = r.headers["x-trace-id"]
    t = wait_for(lambda: (lambda t: t if len(invocations(t)) == 3 else None)(trace(mixed_dev, trace_id)))
    assert invocations(t) == [
        ("StartChain", "api", "typescript", "ok"),
        ("ChainMiddle", "event", "python", "ok"),
        ("ChainEnd", "event", "javascript", "ok"),
    ]
    edges = {(e["from"], e["topic"], e["to"]) for e in flows(mixed_dev)["all"]["edges"]}
    assert {("StartChain", "chain.started", "ChainMiddle"), ("ChainMiddle", "chain.continued", "ChainEnd")} <= edges


def test_a_failed_api_call_is_an_error_in_its_trace(mixed_dev: HostProcess) -> None:
    r = httpx.get(mixed_dev.url + "/py/boom")
    assert r.status_code == 500
    t = trace(mixed_dev, r.headers["x-trace-id"])
    call = next(e for e in t["events"] if e["kind"] == "invocation")
    assert call["outcome"] == "error" and call["error"]["code"]


async def test_log_lines_reach_a_workbench_websocket_client_live(orders_dev: HostProcess) -> None:
    async with websockets.connect(orders_dev.url.replace("http", "ws") + "/__workbench/ws") as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "hello"
        assert any("serving" in log["msg"] for log in hello["logs"])
        async with httpx.AsyncClient() as client:
            order = {"item": "pen", "quantity": 1, "customer": {"name": "Bo", "email": "bo@example.com"}}
            r = await client.post(orders_dev.url + "/orders", json=order)
        trace_id = r.headers["x-trace-id"]
        seen = await receive_until(ws, lambda m: m["type"] == "log" and m["record"]["msg"] == "order stored")
        logs = [m["record"] for m in seen if m["type"] == "log" and m["record"]["traceId"] == trace_id]
        # both steps' lines of the trace, in whatever order their two workers' lines arrived
        assert {x["step"] for x in logs} >= {"CreateOrder", "StoreOrder"}
        # the page watches no trace: it is sent no trace events
        assert not [m for m in seen if m["type"] == "trace"]


async def receive_until(ws: Any, done: Callable[[dict[str, Any]], bool], seconds: float = 10) -> list[dict[str, Any]]:
    """The messages of the batch frames `ws` receives, up to and including the frame with one `done` holds."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(seconds):
        while not any(done(m) for m in seen):
            frame = json.loads(await ws.recv())
            assert frame["type"] == "batch"  # bursts travel as one frame
            seen.extend(frame["messages"])
    return seen


@pytest.fixture(scope="module")
def chain_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """Start -> (slow.go) -> Slow, which waits half a second; Chatty logs as many lines as asked."""
    with HostProcess(copy_project("workbench_live", tmp_path_factory.mktemp("wb")), mode="dev") as host:
        yield host


async def test_a_page_gets_the_trace_events_of_the_trace_it_watches_and_of_no_other(chain_dev: HostProcess) -> None:
    async with websockets.connect(chain_dev.url.replace("http", "ws") + "/__workbench/ws") as ws:
        await ws.recv()  # hello
        async with httpx.AsyncClient() as client:
            other = (await client.post(chain_dev.url + "/start", json={})).headers["x-trace-id"]
            watched = (await client.post(chain_dev.url + "/start", json={})).headers["x-trace-id"]
        await ws.send(json.dumps({"type": "watch", "traceId": watched}))
        # Slow runs half a second after each request: the watch is in place before its state call.
        # Wait for the watched Slow run's end and for the other's log line (it started first).
        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(10):
            while not (
                any(m["type"] == "trace" and m["event"]["kind"] == "invocation" and m["event"]["step"] == "Slow"
                    for m in seen)
                and any(m["type"] == "log" and m["record"]["traceId"] == other for m in seen)
            ):
                seen.extend(json.loads(await ws.recv())["messages"])
        events = [m["event"] for m in seen if m["type"] == "trace"]
        assert {e["traceId"] for e in events} == {watched}
        assert ("state", "set") in {(e["kind"], e.get("op")) for e in events}


async def test_a_message_the_socket_cannot_use_is_answered_with_an_error_that_names_it(chain_dev: HostProcess) -> None:
    async with websockets.connect(chain_dev.url.replace("http", "ws") + "/__workbench/ws") as ws:
        await ws.recv()  # hello
        for bad, says in [
            ("not json", "must be JSON"),
            (json.dumps({"type": "subscribe"}), "only takes"),
            (json.dumps({"type": "watch", "traceId": 42}), "traceId must be a non-empty string or null, got 42"),
        ]:
            await ws.send(bad)
            errors = await receive_until(ws, lambda m: m["type"] == "error", 5)
            assert says in errors[-1]["message"]
        # and the socket still works
        await ws.send(json.dumps({"type": "watch", "traceId": None}))
        async with httpx.AsyncClient() as client:
            await client.post(chain_dev.url + "/chatty", json={"lines": 1})
        await receive_until(ws, lambda m: m["type"] == "log" and m["record"]["msg"] == "chat over", 5)


async def test_a_burst_of_log_lines_is_capped_per_page_and_every_line_left_out_is_counted(
    chain_dev: HostProcess,
) -> None:
    async with websockets.connect(chain_dev.url.replace("http", "ws") + "/__workbench/ws") as ws:
        await ws.recv()  # hello
        async with httpx.AsyncClient() as client:
            r = await client.post(chain_dev.url + "/chatty", json={"lines": 3000})
        trace_id = r.headers["x-trace-id"]
        seen: list[dict[str, Any]] = []
        streamed = skipped = 0
        # Every one of the 3001 lines either arrives or is counted in a marker: wait until all are accounted for.
        async with asyncio.timeout(15):
            while streamed + skipped < 3001:
                frame = json.loads(await ws.recv())
                for m in frame["messages"]:
                    seen.append(m)
                    if m["type"] == "log" and m["record"]["traceId"] == trace_id:
                        streamed += 1
                    elif m["type"] == "skipped":
                        skipped += m["logs"]
        assert skipped > 0 and streamed < 1000
    # the host's buffer kept the lines the page was not sent
    kept = httpx.get(chain_dev.url + "/__workbench/api/logs").json()["logs"]
    assert sum(1 for x in kept if x["traceId"] == trace_id) == 2000  # the buffer's size; the oldest went


def test_the_state_api_lists_groups_and_a_groups_keys_and_values_in_insertion_order(mixed_dev: HostProcess) -> None:
    for key, value in [("zeta", {"n": [1, 2]}), ("alpha", 0), ("zeta", {"n": [3]})]:
        assert httpx.post(mixed_dev.url + "/nested", json={"key": key, "value": value}).status_code == 200

    def groups() -> list[str]:
        r = httpx.get(mixed_dev.url + "/__workbench/api/state")
        assert r.status_code == 200
        names: list[str] = r.json()["groups"]
        assert names == sorted(names)
        return names

    assert "nested" in groups()
    wait_for(lambda: "ticks" in groups())  # the every-second cron's own group
    r = httpx.get(mixed_dev.url + "/__workbench/api/state/nested")
    assert r.status_code == 200
    assert r.json()["group"] == "nested"
    assert r.json()["items"] == [{"key": "zeta", "value": {"n": [3]}}, {"key": "alpha", "value": 0}]
    for name in ["nothing-here", "a%2Fb", "a:b"]:
        r = httpx.get(f"{mixed_dev.url}/__workbench/api/state/{name}")
        assert (r.status_code, r.json()["items"]) == (200, [])


def test_dead_letters_are_listed_and_replayed_through_the_workbench_api(tmp_path: Path) -> None:
    with HostProcess(copy_project("workbench_dlq", tmp_path), mode="dev") as host:
        assert httpx.post(host.url + "/jobs/j1").status_code == 202
        letters = wait_for(lambda: httpx.get(host.url + "/__workbench/api/dlq").json()["deadLetters"])
        assert [(d["step"], d["topic"]) for d in letters] == [("FailOnce", "job.queued")]
        r = httpx.post(f"{host.url}/__workbench/api/dlq/{letters[0]['id']}/replay")
        assert r.json()["replayed"] == [letters[0]["id"]]
        wait_for(lambda: not httpx.get(host.url + "/__workbench/api/dlq").json()["deadLetters"])
        t = wait_for(
            lambda: (lambda t: t if len(invocations(t)) == 3 else None)(trace(host, letters[0]["traceId"]))
        )
        assert [i[3] for i in invocations(t)] == ["ok", "error", "ok"]
        assert httpx.post(host.url + "/__workbench/api/dlq/nope/replay").status_code == 404


def test_start_serves_no_workbench_unless_asked() -> None:
    with HostProcess(EXAMPLES / "orders", mode="start") as host:
        assert httpx.get(host.url + "/__workbench").status_code == 404
        assert httpx.get(host.url + "/__workbench/api/flows").status_code == 404
    with HostProcess(EXAMPLES / "orders", mode="start", extra_args=["--enable-workbench"]) as host:
        assert httpx.get(host.url + "/__workbench").status_code == 200
        assert "orders" in {f["name"] for f in httpx.get(host.url + "/__workbench/api/flows").json()["flows"]}
