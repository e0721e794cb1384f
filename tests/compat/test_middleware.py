"""Middleware in TypeScript, JavaScript and Python, on the `guarded` project run with `start`.

Each step's middleware array is `[mark("first"), explode-on-demand, <guard>, mark("last")]`;
the marks append to `req.order`, the guard adds `req.user` or answers by itself,
and the explode middleware raises when the request has an `x-explode` header.
The TS step mixes a TS middleware module with CommonJS JS helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stephost.testing import HostProcess
from tests.compat.helpers import HostFactory, records, wait_for_record

STEPS = {"ts": "TsGuarded", "js": "JsGuarded", "py": "PyGuarded"}
TOKEN = {"authorization": "Bearer user-7"}


@pytest.fixture(scope="module")
def guarded(compat_host: HostFactory) -> Iterator[HostProcess]:
    with compat_host("guarded", mode="start") as host:
        yield host


@pytest.mark.parametrize(
    ("lang", "guard", "user"),
    [("ts", "auth", {"id": "user-7"}), ("js", "deny?", {"id": "js-user"}), ("py", "auth", {"id": "user-7"})],
)
def test_middleware_runs_in_array_order_and_the_handler_sees_the_fields_it_added(
    guarded: HostProcess, lang: str, guard: str, user: dict[str, Any]
) -> None:
    r = httpx.get(guarded.url + f"/{lang}/guarded", headers=TOKEN)
    assert r.status_code == 200, r.text
    assert r.json() == {"order": ["first", guard, "last", "handler"], "user": user}


@pytest.mark.parametrize(
    ("lang", "request_kwargs", "status", "body", "header"),
    [
        (
            "ts",
            {},
            401,
            {"error": "unauthorized", "by": "ts-auth", "seen": ["first", "auth"]},
            ("www-authenticate", "Bearer"),
        ),
        (
            "js",
            {"headers": TOKEN, "params": {"deny": "1"}},
            403,
            {"error": "denied", "by": "js-deny", "seen": ["first", "deny?"]},
            ("x-denied-by", "js"),
        ),
        ("py", {}, 401, {"error": "unauthorized", "by": "py-auth", "seen": ["first", "auth"]}, None),
    ],
)
def test_middleware_can_answer_by_itself_and_nothing_after_it_runs(
    guarded: HostProcess,
    lang: str,
    request_kwargs: dict[str, Any],
    status: int,
    body: dict[str, Any],
    header: tuple[str, str] | None,
) -> None:
    r = httpx.get(guarded.url + f"/{lang}/guarded", **request_kwargs)
    assert r.status_code == status, r.text
    # "seen" stops at the guard: neither mark("last") nor the handler ran
    assert r.json() == body
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-trace-id"]
    if header:
        assert r.headers[header[0]] == header[1]


@pytest.mark.parametrize(
    ("lang", "message"),
    [("ts", "middleware exploded"), ("js", "middleware exploded"), ("py", "python middleware exploded")],
)
def test_an_exception_in_middleware_gives_500_like_a_handler_error(
    guarded: HostProcess, lang: str, message: str
) -> None:
    r = httpx.get(guarded.url + f"/{lang}/guarded", headers={**TOKEN, "x-explode": "1"})
    assert r.status_code == 500
    trace_id = r.headers["x-trace-id"]
    assert r.json() == {"error": "Internal server error", "traceId": trace_id}
    record = wait_for_record(guarded, message, step=STEPS[lang], traceId=trace_id, level="error")
    assert message in record["stack"]


def test_middleware_logs_through_ctx_carry_the_step_and_trace(guarded: HostProcess) -> None:
    r = httpx.get(guarded.url + "/ts/guarded")
    assert r.status_code == 401
    record = wait_for_record(guarded, "rejected: no token", traceId=r.headers["x-trace-id"])
    assert record["step"] == "TsGuarded"
    assert record["level"] == "warn"
    assert not records(guarded, step="TsGuarded", traceId=r.headers["x-trace-id"], level="error")
