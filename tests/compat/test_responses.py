"""Response shapes and CORS, on the `responses` project run with `start`.

The same `GET /<lang>/respond/:kind` step exists in TypeScript (named exports),
CommonJS JavaScript (`exports.x = ...`) and Python, so every kind is checked in
every language.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from stephost.testing import HostProcess
from tests.compat.helpers import HostFactory, wait_for_record

LANGS = ["ts", "js", "py"]
STEPS = {"ts": "TsResponder", "js": "JsResponder", "py": "PyResponder"}


@pytest.fixture(scope="module")
def responses(compat_host: HostFactory) -> Iterator[HostProcess]:
    with compat_host("responses", mode="start") as host:
        yield host


def respond(host: HostProcess, lang: str, kind: str) -> httpx.Response:
    return httpx.get(host.url + f"/{lang}/respond/{kind}")


@pytest.mark.parametrize("lang", LANGS)
def test_an_object_body_is_sent_as_json(responses: HostProcess, lang: str) -> None:
    r = respond(responses, lang, "json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"lang": lang, "list": [1, "two", None], "nested": {"ok": True}}


@pytest.mark.parametrize("lang", LANGS)
def test_a_string_body_is_plain_text_in_utf8(responses: HostProcess, lang: str) -> None:
    r = respond(responses, lang, "text")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == f"plain words from {lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_a_string_body_keeps_the_content_type_the_handler_set(responses: HostProcess, lang: str) -> None:
    r = respond(responses, lang, "csv")
    assert r.headers["content-type"] == "text/csv"
    assert r.content == b"a,b\n1,2\n"


@pytest.mark.parametrize("lang", LANGS)
def test_a_bytes_or_buffer_body_is_sent_as_it_is(responses: HostProcess, lang: str) -> None:
    r = respond(responses, lang, "bytes")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-demo"
    assert r.content == bytes([0, 1, 2, 253, 254, 255])


@pytest.mark.parametrize("lang", LANGS)
def test_head_on_a_get_route_answers_its_headers_without_the_body(responses: HostProcess, lang: str) -> None:
    get = respond(responses, lang, "json")
    head = httpx.head(responses.url + f"/{lang}/respond/json")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize("lang", LANGS)
def test_custom_headers_reach_the_client(responses: HostProcess, lang: str) -> None:
    r = respond(responses, lang, "headers")
    assert r.headers["x-powered-by"] == f"{lang}-step"
    assert r.headers["cache-control"] == "no-store"
    assert r.json() == {"ok": True}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("created", 201, {"id": "{lang}-1"}),
        ("empty", 204, None),
        ("teapot", 418, {"error": "I'm a teapot"}),
    ],
)
def test_any_status_code_is_passed_through(
    responses: HostProcess, lang: str, kind: str, status: int, body: dict[str, str] | None
) -> None:
    r = respond(responses, lang, kind)
    assert r.status_code == status
    if body is None:
        assert r.content == b""
    else:
        assert r.json() == {k: v.format(lang=lang) for k, v in body.items()}
    if kind == "created":
        assert r.headers["location"] == f"/things/{lang}-1"


@pytest.mark.parametrize("lang", LANGS)
def test_a_handler_returning_nothing_gives_500_saying_so(responses: HostProcess, lang: str) -> None:
    r = respond(responses, lang, "nothing")
    assert r.status_code == 500
    body = r.json()
    assert body["traceId"] == r.headers["x-trace-id"]
    assert "returned no response" in body["error"]
    assert STEPS[lang] in body["error"]
    wait_for_record(responses, "returned no response", step=STEPS[lang], traceId=body["traceId"], level="error")


# --------------------------------------------------------------------------- CORS


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/ts/respond/json", 200),
        ("GET", "/py/respond/text", 200),
        ("GET", "/js/respond/bytes", 200),
        ("GET", "/py/respond/empty", 204),
        ("GET", "/ts/respond/nothing", 500),
        ("GET", "/no/such/route", 404),
        ("DELETE", "/things", 405),
    ],
)
def test_every_response_allows_any_origin_by_default(
    responses: HostProcess, method: str, path: str, status: int
) -> None:
    r = httpx.request(method, responses.url + path, headers={"origin": "https://app.example"})
    assert r.status_code == status
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["x-trace-id"]


@pytest.mark.parametrize("path", ["/ts/respond/json", "/py/respond/json"])
def test_an_options_preflight_on_an_api_route_gets_204_with_the_cors_headers(responses: HostProcess, path: str) -> None:
    r = httpx.options(
        responses.url + path,
        headers={
            "origin": "https://app.example",
            "access-control-request-method": "GET",
            "access-control-request-headers": "content-type, authorization",
        },
    )
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"]
    assert r.headers["access-control-allow-headers"]


def test_a_users_own_options_route_is_still_reached(responses: HostProcess) -> None:
    r = httpx.options(
        responses.url + "/things", headers={"origin": "https://app.example", "access-control-request-method": "GET"}
    )
    assert r.status_code == 200
    assert r.json() == {"methods": ["GET", "OPTIONS"], "from": "OwnOptions"}
    assert r.headers["x-own-options"] == "yes"
    assert r.headers["access-control-allow-origin"] == "*"
    assert httpx.get(responses.url + "/things").json() == [{"id": "ts-1"}, {"id": "py-1"}]
