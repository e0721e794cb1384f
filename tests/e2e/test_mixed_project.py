"""A real host with real Python and Node workers, driven over real HTTP."""

from __future__ import annotations

import os
import signal
from typing import Any

import httpx
import pytest

from stephost.testing import HostProcess, wait_for


def test_a_typescript_api_step_answers_with_path_and_query_params(mixed_host: HostProcess) -> None:
    r = httpx.get(mixed_host.url + "/ts/hello/ada", params=[("tag", "a"), ("tag", "b"), ("x", "1")])
    assert r.status_code == 200
    body = r.json()
    assert body["lang"] == "ts"
    assert body["greeting"] == "hello ada"
    assert body["query"] == {"tag": ["a", "b"], "x": "1"}
    assert r.headers["x-step"] == "TsHello"
    assert r.headers["x-trace-id"] == body["traceId"]


def test_a_python_api_step_answers_with_path_and_query_params(mixed_host: HostProcess) -> None:
    r = httpx.get(mixed_host.url + "/py/hello/grace", params={"x": "1"})
    assert r.status_code == 200
    body = r.json()
    assert body == {"lang": "py", "greeting": "hello grace", "query": {"x": "1"}, "traceId": body["traceId"]}
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-trace-id"] == body["traceId"]


def test_every_request_gets_its_own_trace_id(mixed_host: HostProcess) -> None:
    ids = {httpx.get(mixed_host.url + "/py/hello/x").headers["x-trace-id"] for _ in range(5)}
    assert len(ids) == 5


def test_a_request_body_reaches_the_handler_with_lower_case_headers_and_raw_body(
    mixed_host: HostProcess,
) -> None:
    r = httpx.post(mixed_host.url + "/py/echo", json={"a": [1, {"b": None}]}, headers={"X-Custom": "Yes"})
    body = r.json()
    assert body["body"] == {"a": [1, {"b": None}]}
    assert body["headers"]["x-custom"] == "Yes"
    assert body["rawBody"] == '{"a":[1,{"b":null}]}'


def test_a_nested_value_written_to_state_in_typescript_reads_back_unchanged_in_python(
    mixed_host: HostProcess,
) -> None:
    value = {
        "text": "żółć ✓",
        "zero": 0,
        "false": False,
        "empty": "",
        "none": None,
        "list": [1, 2.5, [3, {"deep": ["x"]}]],
        "big": 2**53 - 1,
    }
    w = httpx.post(mixed_host.url + "/nested", json={"key": "doc", "value": value})
    assert w.status_code == 200
    assert w.json() == {"stored": value}
    r = httpx.get(mixed_host.url + "/nested/doc")
    assert r.json() == {"value": value, "found": True}


@pytest.mark.parametrize("falsy", [0, False, ""])
def test_falsy_state_values_are_values_not_absence(mixed_host: HostProcess, falsy: Any) -> None:
    httpx.post(mixed_host.url + "/nested", json={"key": f"falsy-{falsy!r}", "value": falsy})
    r = httpx.get(mixed_host.url + f"/nested/falsy-{falsy!r}")
    assert r.json() == {"value": falsy, "found": True}


def test_an_event_chain_crosses_typescript_python_and_javascript_in_one_trace(
    mixed_host: HostProcess,
) -> None:
    r = httpx.post(mixed_host.url + "/chain", json={"n": 20})
    assert r.status_code == 202
    trace_id = r.json()["traceId"]
    assert r.headers["x-trace-id"] == trace_id

    def result() -> Any:
        got = httpx.get(mixed_host.url + f"/chain/{trace_id}")
        return got.json() if got.status_code == 200 else None

    final = wait_for(result)
    assert final == {"n": 41, "path": ["ts", "py", "js"], "traces": [trace_id, trace_id]}


@pytest.mark.parametrize(
    ("path", "message", "kind"),
    [("/py/boom", "boom from python", "ValueError"), ("/ts/boom", "boom from typescript", "TypeError")],
)
def test_a_handler_that_raises_gives_500_with_trace_id_and_the_stack_in_the_log(
    mixed_host: HostProcess, path: str, message: str, kind: str
) -> None:
    r = httpx.get(mixed_host.url + path)
    assert r.status_code == 500
    body = r.json()
    assert body == {"error": "Internal server error", "traceId": r.headers["x-trace-id"]}

    def logged() -> Any:
        for rec in mixed_host.log_records():
            if rec.get("traceId") == body["traceId"] and rec.get("level") == "error":
                return rec
        return None

    record = wait_for(logged, timeout_s=5)
    assert message in record["msg"]
    assert kind in record["msg"]
    assert message in record["stack"]
    assert len(record["stack"].splitlines()) > 1


def test_unknown_routes_get_a_json_404_and_wrong_methods_a_json_405(mixed_host: HostProcess) -> None:
    r = httpx.get(mixed_host.url + "/no/such/route")
    assert r.status_code == 404
    assert r.json()["error"] == "no route for GET /no/such/route"
    assert "x-trace-id" in r.headers
    r = httpx.delete(mixed_host.url + "/py/echo")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


def test_malformed_json_gets_a_json_400_naming_the_problem(mixed_host: HostProcess) -> None:
    r = httpx.post(mixed_host.url + "/py/echo", content=b'{"a": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"].startswith("malformed JSON body:")


def test_a_cron_step_runs_on_its_schedule(mixed_host: HostProcess) -> None:
    def count() -> int:
        return int(httpx.get(mixed_host.url + "/ticks").json()["count"] or 0)

    first = wait_for(count, timeout_s=5)
    wait_for(lambda: count() >= first + 2, timeout_s=6)


@pytest.mark.parametrize(("step", "path"), [("PyHello", "/py/hello/again"), ("TsHello", "/ts/hello/again")])
def test_a_worker_killed_with_sigkill_is_restarted_and_the_next_request_succeeds(
    mixed_host: HostProcess, step: str, path: str
) -> None:
    old_pid = mixed_host.worker_pids()[step]
    os.kill(old_pid, signal.SIGKILL)
    new_pid = wait_for(
        lambda: (mixed_host.worker_pids().get(step) or old_pid) != old_pid and mixed_host.worker_pids()[step]
    )
    assert new_pid != old_pid
    r = httpx.get(mixed_host.url + path, timeout=30)
    assert r.status_code == 200
    assert r.json()["greeting"] == "hello again"

    def logged_exit() -> bool:
        return any(
            rec.get("step") == step and "killed by SIGKILL" in rec.get("msg", "") for rec in mixed_host.log_records()
        )

    assert wait_for(logged_exit, timeout_s=5)


def test_state_survives_a_host_restart_on_the_embedded_default(tmp_path: Any) -> None:
    from tests.e2e.conftest import PROJECTS

    with HostProcess(PROJECTS / "mixed", data_dir=tmp_path) as first:
        httpx.post(first.url + "/nested", json={"key": "durable", "value": {"kept": [1, 2]}})
    assert (tmp_path / "state.sqlite3").exists()
    with HostProcess(PROJECTS / "mixed", data_dir=tmp_path) as second:
        assert httpx.get(second.url + "/nested/durable").json() == {"value": {"kept": [1, 2]}, "found": True}
