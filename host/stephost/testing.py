"""Test helpers users can import too: run a real host on a project and talk to it.

    with HostProcess(project_dir) as host:
        r = httpx.get(host.url + "/orders/1")

The host runs as a real subprocess with real workers; on exit every process it
started is stopped, by pid, and the helper checks none is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import psutil

T = TypeVar("T")


def wait_for(predicate: Callable[[], T | None], timeout_s: float = 20.0, interval_s: float = 0.05) -> T:
    """Poll `predicate` until it returns something truthy; return that value (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s (last value: {last!r})")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class HostFailedToStart(RuntimeError):
    """Raised when the host exits or does not answer before the start timeout; carries its output."""


class HostProcess:
    """A `stephost start|dev` subprocess on a free loopback port, with its output captured."""

    def __init__(
        self,
        project: Path | str,
        *,
        mode: str = "start",
        port: int | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        start_timeout_s: float = 60.0,
        data_dir: Path | None = None,
    ) -> None:
        self.project = Path(project)
        self.mode = mode
        self.port = port or free_port()
        self.extra_args = extra_args or []
        self.env = env
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file = tempfile.NamedTemporaryFile(prefix="stephost-host-", suffix=".log", delete=False)  # noqa: SIM115
        self._known_children: set[int] = set()
        # Each host gets its own data dir so tests never see each other's state; one passed
        # in (to restart a host on the same data) is the caller's to remove.
        self._owns_data_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="stephost-data-"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return Path(self._log_file.name).read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """The host's log lines parsed as JSON (when run with --log-format json)."""
        out = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "stephost.cli",
            self.mode,
            str(self.project),
            "--port",
            str(self.port),
            "--host",
            "127.0.0.1",
            "--data-dir",
            str(self.data_dir),
            *self.extra_args,
        ]

    def start(self) -> HostProcess:
        self.proc = subprocess.Popen(
            self.command(),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(self.env or {})},
        )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                output = self.output()
                self._log_file.close()
                raise HostFailedToStart(f"host exited with {self.proc.returncode}:\n{output}")
            try:
                with urllib.request.urlopen(self.url + "/__stephost/health", timeout=1) as r:
                    if r.status == 200:
                        self._remember_children()
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.stop()
        raise HostFailedToStart(f"host did not answer within {self.start_timeout_s} s:\n{self.output()}")

    def _remember_children(self) -> None:
        if self.proc is None:
            return
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        self._known_children.update(c.pid for c in children)

    def worker_pids(self) -> dict[str, int]:
        """step name -> pid of its worker, from the host's own status endpoint."""
        with urllib.request.urlopen(self.url + "/__stephost/workers", timeout=5) as r:
            workers = json.loads(r.read())["workers"]
        pids = {w["step"]: w["pid"] for w in workers if w["pid"]}
        self._known_children.update(pids.values())
        return pids

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM the host (it drains its workers), SIGKILL after `timeout_s`; then reap leftovers."""
        if self.proc is None:
            return None
        self._remember_children()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        leftovers = [pid for pid in self._known_children if psutil.pid_exists(pid) and _alive(pid)]
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._log_file.close()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if leftovers:
            raise AssertionError(f"host left worker processes behind: {leftovers}\n{self.output()}")
        return self.proc.returncode

    def kill(self, workers_gone_within_s: float = 10.0) -> None:
        """SIGKILL the host (no drain, no goodbye) and check its workers leave on their own.

        A worker must not outlive its host: when the stream breaks it exits. Any that
        is still there after `workers_gone_within_s` is killed and reported.
        """
        assert self.proc is not None
        self._remember_children()
        self.proc.kill()
        self.proc.wait()
        deadline = time.monotonic() + workers_gone_within_s
        while time.monotonic() < deadline:
            if not any(_alive(pid) for pid in self._known_children):
                break
            time.sleep(0.05)
        leftovers = [pid for pid in self._known_children if _alive(pid)]
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._known_children.clear()
        if leftovers:
            raise AssertionError(f"workers outlived their SIGKILLed host: {leftovers}")

    def __enter__(self) -> HostProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
