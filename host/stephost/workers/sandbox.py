"""Kernel limits for workers: cgroup v1 memory, pids and cpu controllers, where the machine allows.

Detected once at start-up; each worker gets its own cgroup (kept across its restarts)
under `/sys/fs/cgroup/<controller>/stephost-<host pid>/<worker id>`. Where a controller
cannot be written, the host says so once and relies on its own watch (RSS polling,
deadlines) instead.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CFS_PERIOD_US = 100_000


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
        """Remove the (by now empty) cgroups of this host."""
        for base in self._base.values():
            for child in sorted(base.iterdir()) if base.exists() else []:
                if child.is_dir():
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
