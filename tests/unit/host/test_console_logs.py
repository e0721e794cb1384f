"""How the host's log lines look: JSON for machines, colored lines for people."""

from __future__ import annotations

import io
import json

import pytest

from stephost.logs import ConsoleLogSink
from stephost.types import LogRecord

RECORD = LogRecord(
    level="error", msg="boom", step="CreateOrder", time_ms=1_700_000_000_123, trace_id="t-1", fields={"code": "X"}
)


def test_json_lines_carry_every_field() -> None:
    out = io.StringIO()
    ConsoleLogSink(fmt="json", out=out)(RECORD)
    line = json.loads(out.getvalue())
    assert line == {"code": "X", "level": "error", "time": 1_700_000_000_123, "msg": "boom", "step": "CreateOrder",
                    "traceId": "t-1", "flows": []}  # fmt: skip


def test_pretty_lines_color_level_step_and_trace_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = io.StringIO()
    ConsoleLogSink(fmt="pretty", out=out)(RECORD)
    line = out.getvalue()
    assert "\033[31mERROR\033[0m" in line  # red level
    assert "\033[1mCreateOrder\033[0m" in line  # bold step
    assert "\033[2m[t-1]\033[0m" in line  # dim trace id
    assert line.rstrip().endswith('boom {"code": "X"}')


def test_no_color_wins_and_a_pipe_gets_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = io.StringIO()
    ConsoleLogSink(fmt="pretty", out=out)(RECORD)
    assert "\033[" not in out.getvalue()
    assert " ERROR CreateOrder [t-1] boom" in out.getvalue()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.delenv("FORCE_COLOR")
    plain = io.StringIO()  # not a terminal
    ConsoleLogSink(fmt="pretty", out=plain)(RECORD)
    assert "\033[" not in plain.getvalue()
