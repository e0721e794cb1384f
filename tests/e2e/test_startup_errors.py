"""Invalid projects and taken ports: clear messages, the right exit codes, nothing left running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from stephost.testing import HostProcess, free_port

PROJECTS = Path(__file__).parent / "projects"


def run_cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stephost.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def test_start_refuses_an_invalid_project_and_lists_every_problem() -> None:
    result = run_cli("start", str(PROJECTS / "invalid"), "--port", str(free_port()), "--host", "127.0.0.1")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "steps/broken_syntax_step.py" in out and "LOAD_ERROR" in out
    assert "steps/unknown_key.step.ts (step 'UnknownKey') field 'bodySchemaa'" in out
    assert "steps/bad_cron.step.js (step 'BadCron') field 'cron'" in out and "61 * * * *" in out
    assert "steps/misnamed.step.py" in out and "misnamed_step.py" in out
    assert "steps/no_handler_step.py" in out and "HANDLER_MISSING" in out
    assert "steps/more/dup_route_step.py (step 'DupRoute') field 'path': duplicate route GET /good" in out
    assert "not starting" in out


def test_dev_reports_invalid_steps_and_keeps_the_valid_ones_running() -> None:
    with HostProcess(PROJECTS / "invalid", mode="dev") as host:
        r = httpx.get(host.url + "/good")
        assert r.status_code == 200
        assert r.json() == {"ok": True}
        assert httpx.get(host.url + "/unknown").status_code == 404
    assert "field 'bodySchemaa'" in host.output()


def test_a_taken_port_gives_a_clear_message_and_exit_code() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("start", str(PROJECTS / "mixed"), "--port", str(port), "--host", "127.0.0.1")
    assert result.returncode == 3
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_a_missing_project_folder_is_a_usage_error() -> None:
    result = run_cli("start", "/no/such/project")
    assert result.returncode == 2
    assert "/no/such/project is not a folder" in result.stderr


def test_without_node_on_path_each_node_step_is_named_and_the_python_steps_still_run(tmp_path: Path) -> None:
    # A PATH holding no `node`: the host itself runs from sys.executable and needs nothing else.
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    no_node = {"PATH": str(empty_bin)}
    result = subprocess.run(
        [sys.executable, "-m", "stephost.cli", "start", str(PROJECTS / "mixed"), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, **no_node},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "steps/ts_hello.step.ts: [LOAD_ERROR]" in out and "'node' is not on PATH" in out
    assert "Traceback" not in out
    assert "not starting" in out
    with HostProcess(PROJECTS / "mixed", mode="dev", env=no_node) as host:
        assert httpx.get(host.url + "/py/hello/Ada").status_code == 200
        assert httpx.get(host.url + "/ts/hello/Ada").status_code == 404
    assert "'node' is not on PATH; it is needed to run TypeScript/JavaScript steps" in host.output()


def test_an_unbuilt_node_runtime_is_named_with_the_command_that_builds_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stephost.cli", "start", str(PROJECTS / "mixed"), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "STEPHOST_SDK_NODE": str(tmp_path)},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "steps/tick.step.js: [LOAD_ERROR]" in out
    assert f"the Node worker runtime is not built ({tmp_path}/dist/worker.js is missing)" in out
    assert f"run `npm ci` in {tmp_path}" in out
    assert "Traceback" not in out
