"""`start` writes JSON lines (for log shippers), `dev` readable lines, unless --log-format says otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stephost.testing import HostProcess

PROJECT = Path(__file__).parent / "projects" / "narrow"


def host_lines(host: HostProcess) -> list[str]:
    return [line for line in host.output().splitlines() if "serving" in line or "loaded" in line]


@pytest.mark.parametrize(("mode", "extra", "json_lines"), [("start", [], True), ("dev", [], False),
                                                          ("start", ["--log-format", "pretty"], False)])  # fmt: skip
def test_the_default_log_format_follows_the_mode(mode: str, extra: list[str], json_lines: bool) -> None:
    with HostProcess(PROJECT, mode=mode, extra_args=extra) as host:
        lines = host_lines(host)
    assert lines
    for line in lines:
        if json_lines:
            assert json.loads(line)["step"] == "stephost"
        else:
            assert not line.startswith("{") and " stephost " in line
