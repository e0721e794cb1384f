"""`stephost create` writes projects that run and pass their own tests, wherever they sit.

Each project is created by the real CLI in a temporary folder, then its own test command
runs as a subprocess: pytest (with stephost's plugin) for py and mixed, `npm test`
(node:test with the Node helper) for ts. The written code is also checked as a user's
editor would: ruff and mypy --strict for Python, tsc for TypeScript.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK_NODE = ROOT / "sdk_node"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout_s: float = 240) -> tuple[int, str]:
    """Run `cmd` in its own session; on timeout its whole group (the hosts it started) is killed by id."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"{' '.join(cmd)} ran over {timeout_s} s:\n{out}") from None
    return proc.returncode, out


def create(template: str, parent: Path, name: str = "app") -> Path:
    code, out = run([sys.executable, "-m", "stephost.cli", "create", name, "--template", template], parent)
    assert code == 0, out
    return parent / name


def test_a_created_py_project_passes_its_own_pytest_suite_through_the_plugin(tmp_path: Path) -> None:
    project = create("py", tmp_path)

    code, out = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)

    assert code == 0, out
    assert "3 passed" in out


def test_a_created_mixed_project_passes_its_own_pytest_suite_through_the_plugin(tmp_path: Path) -> None:
    project = create("mixed", tmp_path)

    code, out = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)

    assert code == 0, out
    assert "3 passed" in out


def test_a_created_ts_project_passes_npm_test_without_npm_install(tmp_path: Path) -> None:
    project = create("ts", tmp_path)
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed (scripts/setup checks for it)"

    code, out = run(
        [npm, "test", "--silent"],
        project,
        env={"STEPHOST_SDK_NODE": str(SDK_NODE), "STEPHOST_PYTHON": sys.executable, "STEPHOST_BIN": ""},
    )

    assert code == 0, out
    assert "# pass 3" in out
    assert not (project / "node_modules").exists()


@pytest.mark.parametrize("template", ["py", "mixed"])
def test_the_python_of_a_created_project_passes_ruff_and_mypy_strict(template: str, tmp_path: Path) -> None:
    project = create(template, tmp_path)

    # The rules this repository uses, on ruff's defaults otherwise (88 columns), as a new project has them.
    rules = "E,F,W,I,B,UP,SIM,RUF"
    code, out = run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", rules, "."], project)
    assert code == 0, out
    # The sources, as the installed stephost (editable here) is not visible to mypy.
    mypy_path = os.pathsep.join([str(ROOT / "host"), str(ROOT / "sdk_python")])
    code, out = run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "steps", "tests"],
        project,
        env={"MYPYPATH": mypy_path},
    )
    assert code == 0, out


@pytest.mark.parametrize("template", ["ts", "mixed"])
def test_the_typescript_of_a_created_project_typechecks(template: str, tmp_path: Path) -> None:
    project = create(template, tmp_path)
    # zod and typescript as `npm install` would bring them, borrowed from the Node SDK.
    (project / "node_modules").symlink_to(SDK_NODE / "node_modules", target_is_directory=True)

    code, out = run(["node", "node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], project)

    assert code == 0, out
