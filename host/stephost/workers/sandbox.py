"""Kernel limits for workers: cgroup v1 memory, pids and cpu controllers, where the machine allows.

Detected once at start-up; each worker gets its own cgroup (kept across its restarts)
under `/sys/fs/cgroup/<controller>/stephost-<host pid>/<worker id>`. Where a controller
cannot be written, the host says so once and relies on its own watch (RSS polling,
deadlines) instead.

The cgroup is also how every process of a worker is found when it ends: a child that left
the worker's process group (`setsid`, `start_new_session=True`, Node's `detached: true`)
escapes the `killpg` of the worker, but not its cgroup, which the kernel makes every
descendant join. `kill_all` empties it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CFS_PERIOD_US = 100_000
# How long kill_all keeps at it: a process that forks while it is being killed adds
# another round; SIGKILL cannot be caught, so rounds end within a few milliseconds.
KILL_ALL_TIMEOUT_S = 2.0
KILL_ALL_ROUND_S = 0.01


@dataclass(frozen=True)
class WorkerLimits:
    ram_mb: int | None = None
    cpu: float | None = None  # vCPUs
    pids: int | None = None


class CgroupSandbox:
    def __init__(self, base: dict[str, Path]) -> None:
        self._base = base  # controller -> this host's folder
        self._oom_seen: dict[str, int] = {}

    @property
    def controllers(self) -> tuple[str, ...]:
        return tuple(sorted(self._base))

    @classmethod
    def detect(cls, root: Path = CGROUP_ROOT) -> tuple[CgroupSandbox | None, str]:
        """The sandbox with every controller we can write, and a line saying what is active."""
        base: dict[str, Path] = {}
        missing: list[str] = []
        for controller in ("memory", "pids", "cpu"):
            _remove_stale(root / controller)
            folder = root / controller / f"stephost-{os.getpid()}"
            try:
                folder.mkdir(exist_ok=True)
                (folder / "cgroup.procs").stat()
                base[controller] = folder
            except OSError as exc:
                missing.append(f"{controller} ({exc.strerror or exc})")
        if not base:
            return None, "cgroup limits unavailable: " + ", ".join(missing) + "; using RSS watch and deadlines"
        note = f"cgroup v1 limits active: {', '.join(sorted(base))}"
        if missing:
            note += "; not available: " + ", ".join(missing)
        return cls(base), note

    def _folder(self, controller: str, worker_id: str) -> Path | None:
        base = self._base.get(controller)
        if base is None:
            return None
        folder = base / worker_id
        folder.mkdir(exist_ok=True)
        return folder

    def apply(self, worker_id: str, limits: WorkerLimits) -> None:
        """Write the limits of a worker's cgroups (before or after its process joins them)."""
        if (folder := self._folder("memory", worker_id)) is not None:
            value = str(limits.ram_mb * 2**20) if limits.ram_mb else "-1"
            (folder / "memory.limit_in_bytes").write_text(value)
        if (folder := self._folder("pids", worker_id)) is not None:
            (folder / "pids.max").write_text(str(limits.pids) if limits.pids else "max")
        if (folder := self._folder("cpu", worker_id)) is not None:
            quota = str(int(limits.cpu * CFS_PERIOD_US)) if limits.cpu else "-1"
            (folder / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
            (folder / "cpu.cfs_quota_us").write_text(quota)

    def place(self, worker_id: str, pid: int) -> None:
        """Move a freshly started worker into its cgroups; its children follow it there."""
        for controller in self._base:
            folder = self._folder(controller, worker_id)
            if folder is not None:
                with contextlib.suppress(OSError):  # it may already be gone
                    (folder / "cgroup.procs").write_text(str(pid))

    def processes(self, worker_id: str) -> set[int]:
        """The pids in any of this worker's cgroups (zombies are not listed)."""
        pids: set[int] = set()
        for base in self._base.values():
            with contextlib.suppress(OSError):
                pids.update(int(pid) for pid in (base / worker_id / "cgroup.procs").read_text().split())
        return pids

    async def kill_all(self, worker_id: str, timeout_s: float = KILL_ALL_TIMEOUT_S) -> set[int]:
        """SIGKILL every process in this worker's cgroups until none is left; the pids that outlived `timeout_s`.

        Called once the worker itself has exited, so whatever is left is what it started
        and did not take with it, including children that left its process group.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while pids := self.processes(worker_id):
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if loop.time() >= deadline:
                return self.processes(worker_id)
            await asyncio.sleep(KILL_ALL_ROUND_S)
        return set()

    def memory_killed(self, worker_id: str) -> bool:
        """Whether the kernel's OOM killer acted in this worker's memory cgroup since the last look."""
        base = self._base.get("memory")
        if base is None:
            return False
        try:
            control = (base / worker_id / "memory.oom_control").read_text()
        except OSError:
            return False
        kills = next((int(line.split()[1]) for line in control.splitlines() if line.startswith("oom_kill ")), 0)
        seen = self._oom_seen.get(worker_id, 0)
        self._oom_seen[worker_id] = kills
        return kills > seen

    def close(self) -> None:
        """Kill whatever is still in this host's cgroups (their workers are stopped by now), then remove them."""
        for base in self._base.values():
            for child in sorted(base.iterdir()) if base.exists() else []:
                if child.is_dir():
                    _kill_members(child)
                    with contextlib.suppress(OSError):
                        child.rmdir()
            with contextlib.suppress(OSError):
                base.rmdir()


def _remove_stale(controller_root: Path) -> None:
    """Empty cgroups left by hosts that were killed (their pid is gone) are removed."""
    if not controller_root.is_dir():
        return
    for folder in controller_root.glob("stephost-*"):
        pid = folder.name.removeprefix("stephost-")
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        for child in folder.iterdir():
            if child.is_dir():
                with contextlib.suppress(OSError):
                    child.rmdir()
        with contextlib.suppress(OSError):
            folder.rmdir()


def _kill_members(folder: Path) -> None:
    """SIGKILL the processes of one cgroup; a few rounds, for one that forks meanwhile (best effort)."""
    for _ in range(10):
        try:
            pids = [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(KILL_ALL_ROUND_S)
