"""Project settings and flags at the HTTP edge: CORS narrowed or off, responseSchema warnings in dev."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from stephost.testing import HostProcess

PROJECT = Path(__file__).parent / "projects" / "narrow"


def test_cors_from_stephost_json_echoes_only_listed_origins() -> None:
    with HostProcess(PROJECT) as host:
        allowed = httpx.get(host.url + "/profile/1", headers={"origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert allowed.headers["vary"] == "Origin"
        assert allowed.headers["access-control-max-age"] == "60"
        assert "access-control-allow-credentials" not in allowed.headers
        other = httpx.get(host.url + "/profile/1", headers={"origin": "https://evil.example"})
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers


def test_cors_origin_flags_override_the_file_and_no_cors_turns_it_off() -> None:
    with HostProcess(PROJECT, extra_args=["--cors-origin", "https://b.example"]) as host:
        r = httpx.get(host.url + "/profile/1", headers={"origin": "https://b.example"})
        assert r.headers["access-control-allow-origin"] == "https://b.example"
    with HostProcess(PROJECT, extra_args=["--no-cors"]) as host:
        r = httpx.get(host.url + "/profile/1", headers={"origin": "https://app.example"})
        assert not [h for h in r.headers if h.startswith("access-control-")]
        preflight = httpx.options(host.url + "/profile/1")
        assert preflight.status_code == 405


def test_a_response_breaking_its_response_schema_is_a_warning_in_dev_only() -> None:
    for mode, expect_warning in (("dev", True), ("start", False)):
        with HostProcess(PROJECT, mode=mode, extra_args=["--log-format", "json"]) as host:
            r = httpx.get(host.url + "/profile/bad")
            assert r.status_code == 200 and r.json() == {"id": 42}  # sent as the handler gave it
            assert httpx.get(host.url + "/profile/good").json() == {"id": "good", "age": 7}
            time.sleep(0.3)
            warnings = [
                rec for rec in host.log_records() if "does not match the step's responseSchema" in rec.get("msg", "")
            ]
        if expect_warning:
            (warning,) = warnings
            assert warning["step"] == "Profile" and warning["level"] == "warn"
            assert warning["traceId"] == r.headers["x-trace-id"]
            paths = [d["path"] for d in warning["details"]]
            assert paths == ["response", "response.id"]
        else:
            assert warnings == []
