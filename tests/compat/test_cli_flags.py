"""`start --enable-emit-endpoint --body-limit BYTES`, on the small `inbox` project.

(`start` without the flag answering 404 on `POST /emit` is in test_validation.py,
and `dev` serving it in test_emits.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stephost.testing import HostProcess
from tests.compat.helpers import HostFactory, wait_for

BODY_LIMIT = 2048


@pytest.fixture(scope="module")
def inbox(compat_host: HostFactory) -> Iterator[HostProcess]:
    extra = ["--enable-emit-endpoint", "--body-limit", str(BODY_LIMIT)]
    with compat_host("inbox", mode="start", extra_args=extra) as host:
        yield host


def test_start_serves_post_emit_when_enabled_and_the_event_reaches_the_subscriber(inbox: HostProcess) -> None:
    event = {"topic": "inbox.message", "data": {"text": "hello from outside"}}
    r = httpx.post(inbox.url + "/emit", json=event)
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True
    assert r.json()["emitted"] == event
    trace_id = r.headers["x-trace-id"]

    def delivered() -> Any:
        got = httpx.get(inbox.url + f"/inbox/{trace_id}")
        return got.json() if got.status_code == 200 else None

    assert wait_for(delivered) == {"text": "hello from outside", "by": "ts"}


def test_a_body_at_the_limit_is_accepted(inbox: HostProcess) -> None:
    r = httpx.post(inbox.url + "/upload", content=b"x" * BODY_LIMIT, headers={"content-type": "text/plain"})
    assert r.status_code == 200, r.text
    assert r.json() == {"received": BODY_LIMIT}


@pytest.mark.parametrize("size", [BODY_LIMIT + 1, 1024 * 1024])
def test_a_body_over_the_limit_given_on_the_cli_gets_413(inbox: HostProcess, size: int) -> None:
    r = httpx.post(inbox.url + "/upload", content=b"x" * size, headers={"content-type": "text/plain"})
    assert r.status_code == 413
    body = r.json()
    assert set(body) == {"error", "traceId"}
    assert body["traceId"] == r.headers["x-trace-id"]
    assert r.headers["access-control-allow-origin"] == "*"


def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit_too(inbox: HostProcess) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"x" * (BODY_LIMIT // 2)

    r = httpx.post(inbox.url + "/upload", content=chunks(), headers={"content-type": "text/plain"})
    assert r.status_code == 413
    assert r.json()["traceId"] == r.headers["x-trace-id"]


def test_the_body_limit_applies_to_post_emit_too(inbox: HostProcess) -> None:
    r = httpx.post(inbox.url + "/emit", json={"topic": "inbox.message", "data": {"text": "x" * BODY_LIMIT}})
    assert r.status_code == 413
    assert r.json()["traceId"] == r.headers["x-trace-id"]
