"""Python workers forked from the launcher are the same workers an exec starts.

Two hosts serve one project: one forks its Python workers from the launcher (the
default), one starts each with its own interpreter (STEPHOST_PYTHON_FORKSERVER=0). A step
reports what it sees of itself, and the two must agree on everything but the ids.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from stephost.testing import HostProcess, wait_for

PROJECT = Path(__file__).parent / "projects" / "forked"
# Differ per host or per worker by design.
OWN_VALUES = {"STEPHOST_SOCKET", "STEPHOST_WORKER_ID", "STEPHOST_WORKER_SECRET"}


@pytest.fixture(scope="module")
def forked() -> Iterator[HostProcess]:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"]) as host:
        yield host


@pytest.fixture(scope="module")
def execd() -> Iterator[HostProcess]:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"], env={"STEPHOST_PYTHON_FORKSERVER": "0"}) as host:
        yield host


def whoami(host: HostProcess, which: str = "one") -> dict[str, Any]:
    response = httpx.get(f"{host.url}/whoami/{which}", timeout=10)
    assert response.status_code == 200, response.text
    seen: dict[str, Any] = response.json()
    return seen


def launcher_of(host: HostProcess) -> psutil.Process:
    assert host.proc is not None
    (launcher,) = [
        child for child in psutil.Process(host.proc.pid).children() if "stephost_sdk.forkserver" in child.cmdline()
    ]
    return launcher


def comparable(seen: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in seen["env"].items() if k not in OWN_VALUES}
    return {"env": env, "argv": seen["argv"], "cwd": seen["cwd"], "stdin": seen["stdin"]}


def test_a_forked_worker_sees_what_an_execd_one_sees(forked: HostProcess, execd: HostProcess) -> None:
    mine, theirs = whoami(forked), whoami(execd)
    assert comparable(mine) == comparable(theirs)
    assert set(mine["env"]) == set(theirs["env"])
    assert "STEPHOST_FORKSERVER_FD" not in mine["env"]
    assert mine["cwd"] == str(PROJECT.resolve())
    assert mine["stdin"] == "/dev/null"
    # Its own session and process group, as start_new_session gives an exec'd one.
    assert mine["sid"] == mine["pgid"] == mine["pid"]
    assert theirs["sid"] == theirs["pgid"] == theirs["pid"]


def test_forked_workers_come_from_the_launcher_and_execd_ones_from_the_host(
    forked: HostProcess, execd: HostProcess
) -> None:
    launcher = launcher_of(forked)
    assert whoami(forked, "one")["ppid"] == launcher.pid
    assert whoami(forked, "two")["ppid"] == launcher.pid
    assert execd.proc is not None
    assert whoami(execd)["ppid"] == execd.proc.pid
    assert not [c for c in psutil.Process(execd.proc.pid).children() if "stephost_sdk.forkserver" in c.cmdline()]


def test_forked_workers_do_not_share_their_random_state(forked: HostProcess) -> None:
    assert whoami(forked, "one")["random"] != whoami(forked, "two")["random"]


def test_a_forked_workers_output_reaches_the_log(forked: HostProcess) -> None:
    whoami(forked, "two")
    printed = {"step": "WhoamiTwo", "msg": "hello from two"}
    wait_for(lambda: any(printed.items() <= r.items() for r in forked.log_records()))


def test_a_crashing_forked_worker_is_reported_with_its_exit_code_and_forked_again(forked: HostProcess) -> None:
    launcher = launcher_of(forked)
    old = forked.worker_pids()["Crash"]
    response = httpx.get(f"{forked.url}/crash", timeout=10)
    assert response.status_code == 500
    assert response.json()["error"] == "the worker of step 'Crash' exited (exit code 7)"
    new = wait_for(lambda: (p := forked.worker_pids().get("Crash")) not in (None, old) and p)
    assert psutil.Process(new).ppid() == launcher.pid


def test_without_its_launcher_the_host_starts_workers_itself() -> None:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"]) as host:
        launcher = launcher_of(host)
        running = whoami(host)
        os.kill(launcher.pid, signal.SIGKILL)
        warning = wait_for(
            lambda: next((r for r in host.log_records() if "launcher is unavailable" in r.get("msg", "")), None)
        )
        assert warning["level"] == "warn"
        assert "exit codes will read 255" in warning["msg"]
        # The worker it forked keeps serving.
        assert whoami(host)["pid"] == running["pid"]
        # One that crashes now is seen exiting (its code went to init), and its successor is the host's child.
        response = httpx.get(f"{host.url}/crash", timeout=10)
        assert response.status_code == 500
        assert response.json()["error"] == "the worker of step 'Crash' exited (exit code 255)"
        assert host.proc is not None
        host_pid = host.proc.pid
        wait_for(lambda: (p := host.worker_pids().get("Crash")) and psutil.Process(p).ppid() == host_pid)


def test_the_launcher_goes_with_its_host() -> None:
    host = HostProcess(PROJECT).start()
    launcher = launcher_of(host)
    host.stop()  # also fails on any process left behind
    assert not psutil.pid_exists(launcher.pid) or launcher.status() == psutil.STATUS_ZOMBIE
