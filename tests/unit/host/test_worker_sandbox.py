"""Real cgroups (where this machine lets us write them): nothing a worker started outlives it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import psutil
import pytest

from stephost.workers.process_exit import process_exit
from stephost.workers.sandbox import CGROUP_ROOT, CgroupSandbox

# Started by the "worker" once it is in its cgroup: a grandchild in a session of its own (out of
# the worker's process group, as `setsid` or Node's `detached` make it) that keeps the
# worker's stdout open and sleeps; the worker prints its pid and exits.
WORKER = """
import subprocess, sys, time
sys.stdin.readline()
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", sys.argv[1]], start_new_session=True)
print(child.pid, flush=True)
"""


@pytest.fixture
def sandbox() -> Iterator[CgroupSandbox]:
    found, note = CgroupSandbox.detect()
    if found is None or "pids" not in found.controllers:
        pytest.skip(note)
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def tag() -> Iterator[str]:
    """Marks what a test starts; whatever still runs with it is killed, by pid, at the end."""
    value = f"stephost-sandbox-test-{uuid.uuid4().hex}"
    yield value
    for pid in alive_with(value):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def alive_with(tag: str) -> list[int]:
    return [
        p.pid
        for p in psutil.process_iter(["cmdline", "status"])
        if tag in (p.info["cmdline"] or []) and p.info["status"] != psutil.STATUS_ZOMBIE
    ]


@pytest.fixture
async def worker(sandbox: CgroupSandbox, tag: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    """A worker in cgroup `w1` that has exited, leaving its setsid grandchild behind; (worker, grandchild pid)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WORKER,
        tag,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    sandbox.place("w1", proc.pid)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"go\n")
    proc.stdin.close()
    grandchild = int(await asyncio.wait_for(proc.stdout.readline(), 10))
    try:
        yield proc, grandchild
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in alive_with(tag):
            os.kill(pid, signal.SIGKILL)
        await asyncio.wait_for(proc.stdout.read(), 10)  # EOF once nothing holds the pipe: its transport closes
        await asyncio.wait_for(proc.wait(), 10)


async def test_the_exit_of_a_worker_is_seen_while_a_grandchild_holds_its_output_pipe(
    worker: tuple[asyncio.subprocess.Process, int], tag: str
) -> None:
    proc, grandchild = worker
    assert await asyncio.wait_for(process_exit(proc), 5) == 0
    assert alive_with(tag) == [grandchild]  # it still runs, holding the pipe


async def test_kill_all_kills_what_left_the_workers_process_group_and_the_output_pipe_closes(
    sandbox: CgroupSandbox, worker: tuple[asyncio.subprocess.Process, int], tag: str
) -> None:
    proc, grandchild = worker
    await asyncio.wait_for(process_exit(proc), 5)
    assert os.getsid(grandchild) != proc.pid  # a killpg of the worker would miss it
    assert sandbox.processes("w1") == {grandchild}
    assert await sandbox.kill_all("w1") == set()
    assert sandbox.processes("w1") == set()
    assert alive_with(tag) == []
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.read(), 5) == b""  # the pipe's last holder is gone
    assert await asyncio.wait_for(proc.wait(), 5) == 0


async def test_closing_the_sandbox_kills_what_is_left_in_it_and_removes_its_cgroups(
    sandbox: CgroupSandbox, worker: tuple[asyncio.subprocess.Process, int], tag: str
) -> None:
    proc, _ = worker
    await asyncio.wait_for(process_exit(proc), 5)
    sandbox.close()
    assert alive_with(tag) == []
    assert sandbox.processes("w1") == set()
    assert [c for c in sandbox.controllers if (CGROUP_ROOT / c / f"stephost-{os.getpid()}").exists()] == []
