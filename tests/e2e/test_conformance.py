"""The conformance suite (`stephost conformance`) run the way an SDK author runs it: on the
real Python, Node and Ruby workers, with the fixtures in each language; and on a worker that
breaks the protocol, which it must catch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "host" / "stephost" / "conformance" / "fixtures"
STEPHOST = [sys.executable, "-m", "stephost.cli"]


def conformance(worker: str, fixtures: Path, out: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    result = subprocess.run(
        [*STEPHOST, "conformance", "--worker", worker, "--fixtures", str(fixtures), "--json", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    report = json.loads(out.read_text()) if out.exists() else {}
    return result.returncode, result.stdout + result.stderr, report


def failures(report: dict[str, Any]) -> list[str]:
    return [f"{c['check']}: {c['detail']}" for c in report["checks"] if not c["passed"]]


def test_the_python_sdk_passes_every_check(tmp_path: Path) -> None:
    code, output, report = conformance(
        f"{sys.executable} -m stephost_sdk.worker", FIXTURES / "python", tmp_path / "py.json"
    )
    assert code == 0, output
    assert report["summary"]["checks"] >= 90 and not failures(report), failures(report)
    assert "checks passed, 0 failed" in output


def test_the_node_sdk_passes_every_check(tmp_path: Path) -> None:
    worker = f"node --enable-source-maps {ROOT / 'sdk_node' / 'dist' / 'worker.js'}"
    code, output, report = conformance(worker, FIXTURES / "node", tmp_path / "node.json")
    assert code == 0, output
    assert report["summary"]["checks"] >= 90 and not failures(report), failures(report)


def test_the_ruby_sdk_built_from_the_spec_alone_passes_every_check(tmp_path: Path) -> None:
    worker = f"ruby {ROOT / 'sdk_ruby' / 'bin' / 'stephost-ruby-worker'}"
    code, output, report = conformance(worker, FIXTURES / "ruby", tmp_path / "ruby.json")
    assert code == 0, output
    assert report["summary"]["checks"] >= 90 and not failures(report), failures(report)


def test_a_worker_that_breaks_the_protocol_fails_with_the_rule_and_field_named(tmp_path: Path) -> None:
    worker = f"{sys.executable} {ROOT / 'tests' / 'e2e' / 'fake_workers' / 'wrong_hello_worker.py'}"
    code, output, report = conformance(worker, FIXTURES / "python", tmp_path / "bad.json", "--only", "heartbeat")
    assert code == 1, output
    hello = next(c for c in report["checks"] if c["check"] == "hello: steps/echo_step.py")
    assert not hello["passed"] and "W-HELLO-2" in hello["rules"]
    assert "Hello.protocol_version: expected 1, got 7" in hello["detail"]
    assert "FAIL  hello: steps/echo_step.py" in output
    assert report["summary"]["failed"] >= 1


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [*STEPHOST, "conformance", "--worker", "python", "--fixtures", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"--fixtures {tmp_path / 'nowhere'} is not a folder" in result.stderr
