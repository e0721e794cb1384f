"""Emits: allow-lists, emit-time input checks, fan-out and `POST /emit`, on the `events` project run with `dev`.

events is an ESM project (`"type": "module"`): TS steps import `../lib/attempt.js`
(a .ts file), a JS step has a default export object and `emits: []`, a Python
step uses relative imports, and subscribers declare their input with zod, plain
JSON Schema and Pydantic `model_json_schema()`.

Each emitter answers `POST /<lang>/emit {topic, data, uncaught?}`: it emits, and
either returns the caught error as `{error, code}` or lets it escape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stephost.testing import HostProcess
from tests.compat.helpers import HostFactory, records, wait_for, wait_for_record

EMITTERS = {"ts": "TsEmitter", "js": "JsEmitter", "py": "PyEmitter"}


@pytest.fixture(scope="module")
def events(compat_host: HostFactory) -> Iterator[HostProcess]:
    with compat_host("events", mode="dev") as host:
        yield host


def emit_via(host: HostProcess, lang: str, topic: str, data: Any, *, uncaught: bool = False) -> httpx.Response:
    return httpx.post(host.url + f"/{lang}/emit", json={"topic": topic, "data": data, "uncaught": uncaught})


def seen(host: HostProcess, subscriber: str, trace_id: str) -> Any:
    """What subscriber `ts`/`js`/`py` stored for `trace_id` (None when it never ran)."""
    return httpx.get(host.url + f"/seen/{subscriber}/{trace_id}").json()["value"]


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_a_declared_emit_fans_out_to_every_subscriber_in_the_same_trace(events: HostProcess, lang: str) -> None:
    data = {"who": f"{lang}-fan", "n": 7}
    r = emit_via(events, lang, "audit.recorded", data)
    assert r.status_code == 200, r.text
    assert r.json() == {"emitted": "audit.recorded"}
    trace_id = r.headers["x-trace-id"]
    # AuditTs (zod input) and AuditJs (JSON Schema input) each get their copy, keyed by the emitter's trace
    assert wait_for(lambda: seen(events, "ts", trace_id)) == data
    assert wait_for(lambda: seen(events, "js", trace_id)) == data


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_a_caught_undeclared_emit_gives_the_handler_an_error_naming_step_and_topic(
    events: HostProcess, lang: str
) -> None:
    r = emit_via(events, lang, "secret.topic", {"x": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == "EMIT_NOT_DECLARED"
    assert EMITTERS[lang] in body["error"]
    assert "secret.topic" in body["error"]


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_an_uncaught_undeclared_emit_gives_500_and_an_error_log_naming_step_and_topic(
    events: HostProcess, lang: str
) -> None:
    r = emit_via(events, lang, "secret.topic", {"x": 1}, uncaught=True)
    assert r.status_code == 500
    trace_id = r.headers["x-trace-id"]
    assert r.json() == {"error": "Internal server error", "traceId": trace_id}
    record = wait_for_record(events, "secret.topic", step=EMITTERS[lang], traceId=trace_id, level="error")
    assert EMITTERS[lang] in record["msg"]
    assert "EMIT_NOT_DECLARED" in record["msg"] or record.get("code") == "EMIT_NOT_DECLARED"


@pytest.mark.parametrize("topic", ["audit.recorded", "nobody.listens", "anything.at.all"])
def test_emits_empty_list_allows_no_topic_at_all(events: HostProcess, topic: str) -> None:
    # Motia 0.x let `emits: []` emit anything; stephost reads it as "nothing".
    r = emit_via(events, "js", topic, {"who": "js", "n": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == "EMIT_NOT_DECLARED"
    assert "JsEmitter" in body["error"] and topic in body["error"]
    assert seen(events, "ts", r.headers["x-trace-id"]) is None


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_data_not_matching_a_subscribers_input_raises_invalid_emit_data_and_no_subscriber_runs(
    events: HostProcess, lang: str
) -> None:
    # AuditJs would accept {"who"}; AuditTs's zod input also needs an integer n.
    bad = emit_via(events, lang, "audit.recorded", {"who": f"{lang}-bad"})
    assert bad.status_code == 200, bad.text
    body = bad.json()
    assert body["code"] == "INVALID_EMIT_DATA"
    assert "AuditTs" in body["error"]
    assert "'n' is a required property" in body["error"]
    # a later good emit arrives; the refused one never reached either subscriber
    good = emit_via(events, lang, "audit.recorded", {"who": f"{lang}-good", "n": 1})
    wait_for(lambda: seen(events, "js", good.headers["x-trace-id"]))
    assert seen(events, "ts", bad.headers["x-trace-id"]) is None
    assert seen(events, "js", bad.headers["x-trace-id"]) is None


def test_a_pydantic_model_json_schema_input_is_checked_at_emit_time(events: HostProcess) -> None:
    bad = emit_via(events, "py", "typed.thing", {"kind": "c", "size": "big"})
    body = bad.json()
    assert body["code"] == "INVALID_EMIT_DATA"
    assert "TypedPy" in body["error"]
    assert "kind" in body["error"] and "size" in body["error"]
    good = emit_via(events, "py", "typed.thing", {"kind": "a", "size": 3})
    assert good.json() == {"emitted": "typed.thing"}
    assert wait_for(lambda: seen(events, "py", good.headers["x-trace-id"])) == {"kind": "a", "size": 3}
    assert seen(events, "py", bad.headers["x-trace-id"]) is None


def test_an_uncaught_invalid_emit_gives_500_with_the_schema_errors_in_the_log(events: HostProcess) -> None:
    r = emit_via(events, "ts", "audit.recorded", {"who": "ts", "n": "one"}, uncaught=True)
    assert r.status_code == 500
    trace_id = r.headers["x-trace-id"]
    record = wait_for_record(events, "audit.recorded", step="TsEmitter", traceId=trace_id, level="error")
    assert "INVALID_EMIT_DATA" in record["msg"] or record.get("code") == "INVALID_EMIT_DATA"
    assert "integer" in record["msg"]


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_emitting_a_topic_nobody_subscribes_to_works_and_logs_a_warning(events: HostProcess, lang: str) -> None:
    r = emit_via(events, lang, "nobody.listens", {"x": 1})
    assert r.status_code == 200, r.text
    assert r.json() == {"emitted": "nobody.listens"}
    record = wait_for_record(events, "nobody.listens", traceId=r.headers["x-trace-id"], level="warn")
    assert record["step"] == EMITTERS[lang]


def test_post_emit_in_dev_returns_the_event_and_it_reaches_the_subscribers(events: HostProcess) -> None:
    event = {"topic": "audit.recorded", "data": {"who": "outside", "n": 42}}
    r = httpx.post(events.url + "/emit", json=event)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    assert body["emitted"] == event
    trace_id = r.headers["x-trace-id"]
    assert wait_for(lambda: seen(events, "ts", trace_id)) == event["data"]
    assert wait_for(lambda: seen(events, "js", trace_id)) == event["data"]


def test_post_emit_checks_the_subscribers_input_too(events: HostProcess) -> None:
    r = httpx.post(events.url + "/emit", json={"topic": "typed.thing", "data": {"kind": "z"}})
    assert r.status_code == 400, r.text
    body = r.json()
    assert "TypedPy" in body["error"]
    assert body["traceId"] == r.headers["x-trace-id"]
    assert not records(events, step="TypedPy", traceId=body["traceId"])
