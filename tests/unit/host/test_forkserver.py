"""The host's side of the Python worker launcher, against a real launcher process and real forks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import pytest

from stephost.types import LogRecord
from stephost.workers.forkserver import UNKNOWN_EXIT, ForkedProcess, ForkServer, ForkServerUnavailable, forking_wanted
from stephost.workers.process_exit import process_exit

BASE_ENV = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}


def worker_env(tmp_path: Path, socket_path: Path) -> dict[str, str]:
    return {
        **BASE_ENV,
        "STEPHOST_SOCKET": str(socket_path),
        "STEPHOST_WORKER_ID": "w1",
        "STEPHOST_WORKER_SECRET": "s",
        "STEPHOST_STEP_FILE": str(tmp_path / "missing_step.py"),
        "STEPHOST_PROJECT_ROOT": str(tmp_path),
    }


@pytest.fixture
def silent_socket(tmp_path: Path) -> Iterator[Path]:
    """A socket file nobody accepts on: a worker dialing it keeps trying until killed."""
    path = tmp_path / "silent.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    yield path
    sock.close()


@pytest.fixture
async def launcher(tmp_path: Path) -> AsyncIterator[tuple[ForkServer, list[LogRecord]]]:
    records: list[LogRecord] = []
    server = ForkServer(BASE_ENV, tmp_path, records.append)
    await server.start()
    try:
        yield server, records
    finally:
        pid = server.pid
        await server.close()
        assert pid is None or not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def finished(process: ForkedProcess) -> tuple[int, str]:
    """The exit code and stderr of a forked worker, once it has exited (10 s at most)."""
    code = await asyncio.wait_for(process_exit(process), 10)
    return code, (await process.stderr.read()).decode()


async def test_a_forked_worker_gets_exactly_its_environment_and_reports_its_exit(
    launcher: tuple[ForkServer, list[LogRecord]], tmp_path: Path
) -> None:
    server, _ = launcher
    # Without STEPHOST_SOCKET the worker stops at once with its usage error (exit 2), naming what it lacks:
    # the launcher's own environment has none of the others, so the worker read them from its request.
    env = worker_env(tmp_path, tmp_path / "none.sock")
    del env["STEPHOST_SOCKET"]
    process = await server.spawn(env, tmp_path)
    assert psutil.Process(process.pid).ppid() == server.pid
    assert os.getsid(process.pid) == process.pid  # a session (and process group) of its own
    code, stderr = await finished(process)
    assert code == 2
    assert "missing environment variables: STEPHOST_SOCKET (workers are started" in stderr
    assert (await process.stdout.read()) == b""


async def test_a_worker_killed_by_a_signal_reads_as_in_subprocess(
    launcher: tuple[ForkServer, list[LogRecord]], tmp_path: Path, silent_socket: Path
) -> None:
    server, _ = launcher
    first, second = await asyncio.gather(
        server.spawn(worker_env(tmp_path, silent_socket), tmp_path),
        server.spawn(worker_env(tmp_path, tmp_path / "none.sock"), tmp_path),
    )
    assert first.pid != second.pid
    os.killpg(first.pid, signal.SIGKILL)
    code, _ = await finished(first)
    assert code == -signal.SIGKILL
    assert await first.stdout.read() == b""
    code, stderr = await finished(second)
    assert code == 3  # the host's socket cannot be reached
    assert "none.sock" in stderr
    assert await second.stdout.read() == b""


async def test_different_interpreter_variables_are_refused(
    launcher: tuple[ForkServer, list[LogRecord]], tmp_path: Path
) -> None:
    server, _ = launcher
    with pytest.raises(ForkServerUnavailable, match="PYTHON"):
        await server.spawn({**BASE_ENV, "PYTHONPATH": "/elsewhere"}, tmp_path)


async def test_a_lost_launcher_is_reported_and_its_workers_still_end(
    launcher: tuple[ForkServer, list[LogRecord]], tmp_path: Path, silent_socket: Path
) -> None:
    server, records = launcher
    env = worker_env(tmp_path, silent_socket)
    worker = await server.spawn(env, tmp_path)
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    for _ in range(200):
        if any("launcher is unavailable" in r.msg for r in records):
            break
        await asyncio.sleep(0.025)
    warning = next(r for r in records if "launcher is unavailable" in r.msg)
    assert warning.level == "warn"
    assert f"their exit codes will read {UNKNOWN_EXIT}" in warning.msg
    os.killpg(worker.pid, signal.SIGKILL)
    code, _ = await finished(worker)
    assert await worker.stdout.read() == b""
    assert code == UNKNOWN_EXIT  # init reaped it: its own code is not known
    with pytest.raises(ForkServerUnavailable, match=r"launcher is unavailable: it (exited|went away)"):
        await server.spawn(env, tmp_path)


async def test_a_launcher_that_cannot_start_makes_spawn_refuse(tmp_path: Path) -> None:
    records: list[LogRecord] = []
    # PYTHONPATH pointing at a stephost_sdk that fails to import.
    broken = tmp_path / "shadow" / "stephost_sdk"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    env = {**BASE_ENV, "PYTHONPATH": str(broken.parent)}
    server = ForkServer(env, tmp_path, records.append)
    await server.start()
    try:
        with pytest.raises(ForkServerUnavailable, match="launcher is unavailable"):
            await server.spawn(env, tmp_path)
        for _ in range(200):
            if any("broken on purpose" in r.msg for r in records):
                break
            await asyncio.sleep(0.025)
        assert any("broken on purpose" in r.msg for r in records), [r.msg for r in records]
    finally:
        await server.close()


def test_forking_can_be_turned_off() -> None:
    assert forking_wanted({})
    assert forking_wanted({"STEPHOST_PYTHON_FORKSERVER": "1"})
    for off in ("0", "false", "OFF", " no "):
        assert not forking_wanted({"STEPHOST_PYTHON_FORKSERVER": off})
