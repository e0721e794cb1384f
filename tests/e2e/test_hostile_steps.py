"""Hostile and broken steps stay contained: the host serves on, the step comes back."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from stephost.testing import HostProcess, wait_for
from stephost.workers.connection import CANCEL_GRACE_S

PROJECT = Path(__file__).parent / "projects" / "hostile"
HOST_SECRETS = {"SECRET_TOKEN": "s3cr3t", "STEPHOST_REDIS_URL": "redis://:pw@127.0.0.1:6379/0", "ALLOWED_ONE": "yes"}


@pytest.fixture(scope="module")
def host() -> Iterator[HostProcess]:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"], env=HOST_SECRETS) as h:
        yield h


def serves_others(host: HostProcess) -> None:
    assert httpx.get(host.url + "/ping", timeout=5).json() == {"pong": True}


def logged(host: HostProcess, step: str, msg: str) -> bool:
    return any(rec.get("step") == step and rec.get("msg") == msg for rec in host.log_records())


def ignored_its_cancellation(step: str, pid: int, why: str = "its deadline passed") -> str:
    """What the host logs when it kills a worker whose invocation outlived its Cancel by the grace."""
    return (
        f"invocation of step {step!r} ignored its cancellation ({why}) for {CANCEL_GRACE_S:g} s; "
        f"killing worker pid {pid}"
    )


def replaced(host: HostProcess, step: str, old_pid: int) -> int:
    """The pid of the worker that replaced `old_pid`, once it is up."""
    pid: int = wait_for(lambda: (p := host.worker_pids().get(step)) not in (None, old_pid) and p)
    return pid


def pids_cgroup(pid: int) -> Path:
    """The pids cgroup folder of worker `pid` (its step keeps it across restarts)."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "pids":
            return Path("/sys/fs/cgroup/pids") / path.lstrip("/")
    raise AssertionError(f"worker {pid} is in no pids cgroup")


def kill_tagged(tag: str) -> None:
    """SIGKILL, by pid, whatever a test started that is still running with `tag` in its arguments."""
    for pid in live_processes_tagged(tag):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def live_processes_tagged(tag: str) -> list[int]:
    """What `ps` would list with `tag` among its arguments (zombies have none)."""
    return [
        proc.pid
        for proc in psutil.process_iter(["cmdline", "status"])
        if tag in (proc.info["cmdline"] or []) and proc.info["status"] != psutil.STATUS_ZOMBIE
    ]


@pytest.mark.parametrize("path", ["/py/env", "/ts/env"])
def test_a_worker_sees_dotenv_and_allowed_variables_never_the_hosts_secrets(host: HostProcess, path: str) -> None:
    env = httpx.get(host.url + path).json()
    assert env["FROM_DOTENV"] == "hello from .env"
    assert env["QUOTED"] == "single # not a comment"
    assert env["ALLOWED_ONE"] == "yes"
    assert "SECRET_TOKEN" not in env
    assert "STEPHOST_REDIS_URL" not in env
    assert "PATH" in env


@pytest.mark.parametrize(("step", "path"), [("PyLoop", "/py/loop"), ("TsLoop", "/ts/loop")])
def test_an_infinite_loop_past_its_timeout_gets_504_and_the_worker_is_replaced(
    host: HostProcess, step: str, path: str
) -> None:
    old_pid = host.worker_pids()[step]
    started = time.monotonic()
    r = httpx.get(host.url + path, params={"spin": "1"}, timeout=30)
    assert r.status_code == 504
    assert f"step '{step}' did not finish within 2 s" in r.json()["error"]
    assert time.monotonic() - started < 10
    serves_others(host)
    wait_for(lambda: host.worker_pids().get(step) not in (None, old_pid))
    assert httpx.get(host.url + path, timeout=30).json() == {"alive": True}


def test_a_node_handler_blocking_its_thread_past_the_default_timeout_gets_504_and_a_fresh_worker(
    host: HostProcess,
) -> None:
    old_pid = host.worker_pids()["TsSleep"]
    r = httpx.get(host.url + "/ts/sleep", params={"s": "20"}, timeout=30)
    assert r.status_code == 504
    assert "step 'TsSleep' did not finish within 3 s" in r.json()["error"]  # stephost.json limits.timeout
    serves_others(host)
    wait_for(lambda: host.worker_pids().get("TsSleep") not in (None, old_pid))
    assert httpx.get(host.url + "/ts/sleep", timeout=30).json() == {"alive": True}


def test_a_plain_python_handler_sleeping_far_past_the_timeout_gets_504_and_its_worker_is_replaced(
    host: HostProcess,
) -> None:
    old_pid = host.worker_pids()["PySleep"]
    started = time.monotonic()
    r = httpx.get(host.url + "/py/sleep", params={"s": "60"}, timeout=30)
    assert r.status_code == 504
    assert "step 'PySleep' did not finish within 3 s" in r.json()["error"]  # stephost.json limits.timeout
    assert time.monotonic() - started < 5
    # A thread cannot be interrupted: the worker holds its CANCELLED reply until the thread
    # ends, so the host sees the handler still running and kills the worker after the grace.
    assert wait_for(lambda: logged(host, "PySleep", ignored_its_cancellation("PySleep", old_pid)), timeout_s=10)
    replaced(host, "PySleep", old_pid)
    serves_others(host)
    assert httpx.get(host.url + "/py/sleep", timeout=30).json() == {"alive": True}


def test_a_node_async_handler_ignoring_its_cancel_gets_504_and_its_worker_replaced_after_the_grace(
    host: HostProcess,
) -> None:
    old_pid = host.worker_pids()["TsDawdle"]
    r = httpx.get(host.url + "/ts/dawdle", params={"s": "60"}, timeout=30)
    assert r.status_code == 504
    assert "step 'TsDawdle' did not finish within 3 s" in r.json()["error"]  # stephost.json limits.timeout
    # The SDK answers CANCELLED only once the handler settles; this one does not, so the
    # host kills the worker after the grace instead of leaving the work running.
    assert wait_for(lambda: logged(host, "TsDawdle", ignored_its_cancellation("TsDawdle", old_pid)), timeout_s=10)
    replaced(host, "TsDawdle", old_pid)
    assert httpx.get(host.url + "/ts/dawdle", timeout=30).json() == {"alive": True}
    serves_others(host)


def test_a_plain_python_handler_ending_soon_after_its_cancel_gets_504_and_keeps_its_worker(
    host: HostProcess,
) -> None:
    old_pid = host.worker_pids()["PySleep"]
    r = httpx.get(host.url + "/py/sleep", params={"s": "3.5"}, timeout=30)
    assert r.status_code == 504
    assert "step 'PySleep' did not finish within 3 s" in r.json()["error"]
    # Its thread ends 0.5 s after the Cancel and the CANCELLED reply goes out then, well
    # within the host's grace: past that grace the worker is still the same one.
    time.sleep(CANCEL_GRACE_S + 1)
    assert host.worker_pids()["PySleep"] == old_pid
    assert not any(f"killing worker pid {old_pid}" in rec.get("msg", "") for rec in host.log_records())
    assert httpx.get(host.url + "/py/sleep", timeout=30).json() == {"alive": True}
    serves_others(host)


@pytest.mark.parametrize(("step", "path"), [("PyHang", "/py/hang"), ("TsHang", "/ts/hang")])
def test_a_handler_ignoring_the_cancel_sent_when_its_client_went_away_gets_its_worker_killed_after_the_grace(
    host: HostProcess, step: str, path: str
) -> None:
    old_pid = host.worker_pids()[step]
    tag = uuid.uuid4().hex
    # The step's timeout is 120 s: what fires here is the client going away, nothing else.
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as client:
        client.sendall(f"GET {path}?s=300&tag={tag} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert wait_for(lambda: logged(host, step, f"hanging {tag}"), timeout_s=10)
    gone = time.monotonic()
    assert wait_for(
        lambda: logged(host, step, ignored_its_cancellation(step, old_pid, "its caller went away")), timeout_s=10
    )
    # killed at the end of the grace, long before missed heartbeats (15 s) or the timeout would
    assert time.monotonic() - gone < CANCEL_GRACE_S + 3
    replaced(host, step, old_pid)
    serves_others(host)
    assert httpx.get(host.url + path, timeout=30).json() == {"alive": True}


@pytest.mark.parametrize(("step", "path"), [("PyEscape", "/py/escape"), ("TsEscape", "/ts/escape")])
def test_a_child_that_left_the_workers_process_group_dies_with_the_worker(
    host: HostProcess, step: str, path: str
) -> None:
    tag = f"stephost-escapee-{uuid.uuid4().hex}"
    try:
        old_pid = host.worker_pids()[step]
        child = httpx.get(host.url + path, params={"how": "spawn", "tag": tag}, timeout=30).json()["pid"]
        assert live_processes_tagged(tag) == [child]
        # out of the worker's process group and session: a killpg of the worker misses it
        assert os.getpgid(child) != os.getpgid(old_pid) and os.getsid(child) != os.getsid(old_pid)
        r = httpx.get(host.url + path, params={"how": "exit"}, timeout=30)
        assert r.status_code == 500
        assert r.json()["code"] == "WORKER_CRASHED"
        assert r.json()["error"] == f"the worker of step '{step}' exited (exit code 3)"
        assert wait_for(lambda: not live_processes_tagged(tag), timeout_s=5)
        replaced(host, step, old_pid)
        serves_others(host)
        assert httpx.get(host.url + path, timeout=30).json() == {"alive": True}
    finally:
        kill_tagged(tag)


@pytest.mark.parametrize(("step", "path"), [("PySpin", "/py/spin"), ("TsSpin", "/ts/spin")])
def test_a_handler_holding_its_workers_event_loop_misses_heartbeats_and_the_worker_is_killed(
    host: HostProcess, step: str, path: str
) -> None:
    old_pid = host.worker_pids()[step]
    started = time.monotonic()
    r = httpx.get(host.url + path, params={"spin": "1"}, timeout=60)
    took = time.monotonic() - started
    # Pings go out every 5 s and the third one missed gets the worker killed: 15 to 20 s
    # after the spin began, long before the step's 120 s timeout.
    assert 10 < took < 25, took
    assert r.status_code == 500
    assert r.json()["code"] == "WORKER_CRASHED"
    # the error says why the host killed the worker, not just that it died of SIGKILL
    assert (
        r.json()["error"] == f"the worker of step '{step}' was killed by the host: "
        f"step '{step}' missed 3 heartbeats (5 s apart)"
    )
    assert wait_for(
        lambda: logged(host, step, f"step '{step}' missed 3 heartbeats (5 s apart); killing worker pid {old_pid}"),
        timeout_s=5,
    )
    serves_others(host)
    replaced(host, step, old_pid)
    assert httpx.get(host.url + path, timeout=30).json() == {"alive": True}


@pytest.mark.parametrize(
    ("step", "path", "how", "exit_text"),
    [
        ("PyExit", "/py/exit", "exit", "exit code 3"),
        ("PyExit", "/py/exit", "segfault", "killed by SIGSEGV"),
        ("TsExit", "/ts/exit", "exit", "exit code 3"),
        ("TsExit", "/ts/exit", "abort", "killed by SIGABRT"),
    ],
)
def test_a_worker_that_exits_or_crashes_fails_its_request_and_is_restarted(
    host: HostProcess, step: str, path: str, how: str, exit_text: str
) -> None:
    r = httpx.get(host.url + path, params={"how": how}, timeout=30)
    assert r.status_code == 500
    assert r.json()["code"] == "WORKER_CRASHED"
    serves_others(host)
    assert httpx.get(host.url + path, timeout=30).json() == {"alive": True}
    assert wait_for(
        lambda: any(rec.get("step") == step and exit_text in rec.get("msg", "") for rec in host.log_records()),
        timeout_s=5,
    )


@pytest.mark.parametrize(("step", "path"), [("PyBomb", "/py/bomb"), ("TsBomb", "/ts/bomb")])
def test_a_memory_bomb_is_killed_at_its_ram_limit_with_a_clear_message(host: HostProcess, step: str, path: str) -> None:
    r = httpx.get(host.url + path, params={"go": "1"}, timeout=60)
    assert r.status_code == 500
    assert r.json()["error"].startswith(f"step '{step}' exceeded its memory limit of 256 MB")
    serves_others(host)
    assert httpx.get(host.url + path, timeout=30).json() == {"alive": True}


@pytest.mark.parametrize("secret", ["made-up", "stolen"])
def test_an_impostor_on_the_worker_socket_is_refused_even_with_a_real_secret(host: HostProcess, secret: str) -> None:
    r = httpx.get(host.url + "/rogue", params={"secret": secret}, timeout=30)
    assert r.json() == {"outcome": "UNAUTHENTICATED"}
    serves_others(host)


@pytest.mark.parametrize(("step", "path"), [("ForkBomb", "/py/forkbomb"), ("TsForkBomb", "/ts/forkbomb")])
def test_a_fork_bomb_stops_at_the_pids_limit_and_the_worker_is_replaced(
    host: HostProcess, step: str, path: str
) -> None:
    assert host.proc is not None
    old_pid = host.worker_pids()[step]
    cgroup = pids_cgroup(old_pid)
    assert cgroup.parent.name == f"stephost-{host.proc.pid}"
    assert (cgroup / "pids.max").read_text().strip() == "96"  # stephost.json limits.pids
    refused_before = int((cgroup / "pids.events").read_text().split()[1])
    tag = f"stephost-forkbomb-{uuid.uuid4().hex}"  # the Node bomb's children carry it in their arguments
    r = httpx.get(host.url + path, params={"go": "1", "tag": tag}, timeout=60)
    # The bomb never finishes its 1,000 forks: it is cut off at its 5 s timeout, and as it
    # keeps its thread (Python) or its event loop (Node) busy it ignores the cancellation.
    assert r.status_code == 504
    assert f"step '{step}' did not finish within 5 s" in r.json()["error"]
    serves_others(host)
    # the kernel refused forks past the limit in the worker's pids cgroup
    assert int((cgroup / "pids.events").read_text().split()[1]) > refused_before
    assert wait_for(lambda: logged(host, step, ignored_its_cancellation(step, old_pid)), timeout_s=10)
    new_pid = replaced(host, step, old_pid)
    # Killing the worker took every process it had forked with it: only the new worker is left.
    assert wait_for(lambda: set(map(int, (cgroup / "cgroup.procs").read_text().split())) == {new_pid}, timeout_s=5)
    assert wait_for(lambda: not live_processes_tagged(tag), timeout_s=5)
    assert httpx.get(host.url + path, timeout=30).json() == {"alive": True}


def test_the_cpu_limit_from_the_steps_config_throttles_it(host: HostProcess) -> None:
    body = httpx.get(host.url + "/py/burn", timeout=30).json()
    # 0.2 vCPU: two seconds of spinning get about 0.4 s of CPU; unthrottled it would be about 2 s
    assert body["cpu"] < 1.0, body
    serves_others(host)


@pytest.mark.parametrize(("step", "path"), [("PyFlood", "/py/flood"), ("TsFlood", "/ts/flood")])
def test_a_flood_of_stdout_is_logged_without_stalling_the_host(host: HostProcess, step: str, path: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        flood = pool.submit(httpx.get, host.url + path, timeout=60)
        while not flood.done():
            serves_others(host)
        r = flood.result()
    assert r.status_code == 200
    assert r.json() == {"printed": 50_001}
    serves_others(host)

    def flood_lines() -> list[str]:
        return [
            rec["msg"]
            for rec in host.log_records()
            if rec.get("step") == step and rec.get("msg", "").startswith("flood line ")
        ]

    assert wait_for(lambda: any(line.startswith("flood line 49999 ") for line in flood_lines()), timeout_s=10)
    assert len(flood_lines()) == 50_000

    def huge_line_records() -> list[dict[str, Any]]:
        return [rec for rec in host.log_records() if rec.get("step") == step and set(rec.get("msg") or "x") == {"y"}]

    # The 200,000-character line comes whole, as consecutive records of at most 64 KiB.
    records = wait_for(lambda: (r := huge_line_records()) and not r[-1].get("continued") and r, timeout_s=10)
    assert "".join(rec["msg"] for rec in records) == "y" * 200_000
    assert [len(rec["msg"]) for rec in records] == [65_536, 65_536, 65_536, 200_000 - 3 * 65_536]
    assert [rec.get("continued", False) for rec in records] == [True, True, True, False]


def test_a_crash_loop_marks_the_step_unhealthy_with_503_and_it_recovers_when_fixed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    with HostProcess(project, extra_args=["--log-format", "json"]) as host:
        assert httpx.get(host.url + "/fragile").json() == {"alive": True}
        (project / "crash.flag").write_text("crash at start")
        os.kill(host.worker_pids()["Fragile"], signal.SIGKILL)

        def unhealthy() -> Any:
            r = httpx.get(host.url + "/fragile", timeout=40)
            return r if r.status_code == 503 else None

        r = wait_for(unhealthy, timeout_s=30)
        body = r.json()
        assert body["step"] == "Fragile"
        assert "step 'Fragile' is unhealthy" in body["error"]
        assert "SystemExit: 9" in body["error"]  # the last error: what the restarted worker said
        serves_others(host)
        status = subprocess.run(
            [sys.executable, "-m", "stephost.cli", "status", "--port", str(host.port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert status.returncode == 0
        assert "unhealthy" in status.stdout and "Fragile" in status.stdout
        (project / "crash.flag").unlink()
        wait_for(lambda: httpx.get(host.url + "/fragile", timeout=40).status_code == 200, timeout_s=30)
        assert any("the step is healthy" in rec.get("msg", "") for rec in host.log_records())


def test_status_shows_each_workers_pid_state_and_usage(host: HostProcess) -> None:
    status = subprocess.run(
        [sys.executable, "-m", "stephost.cli", "status", "--port", str(host.port), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    import json

    workers = {w["step"]: w for w in json.loads(status.stdout)}
    ping = workers["Ping"]
    assert ping["state"] == "ready" and ping["language"] == "python"
    assert ping["pid"] == host.worker_pids()["Ping"]
    assert ping["rss_mb"] > 5 and ping["cpu_seconds"] >= 0 and ping["in_flight"] == 0
    assert workers["TsEnv"]["language"] == "typescript"
