"""How much a worker process uses, read with psutil."""

from __future__ import annotations

from typing import Any

import psutil


class ProcessUsage:
    """RSS and CPU of one worker; keeps the psutil handle so cpu_percent compares with the last look."""

    def __init__(self) -> None:
        self._ps: psutil.Process | None = None

    def sample(self, pid: int | None) -> dict[str, Any]:
        empty: dict[str, Any] = {"rss_mb": None, "cpu_percent": None, "cpu_seconds": None}
        if pid is None:
            return empty
        try:
            if self._ps is None or self._ps.pid != pid:
                self._ps = psutil.Process(pid)
            with self._ps.oneshot():
                rss = self._ps.memory_info().rss
                times = self._ps.cpu_times()
                percent = self._ps.cpu_percent(interval=None)
        except psutil.Error:
            return empty
        return {
            "rss_mb": round(rss / 2**20, 1),
            "cpu_percent": percent,
            "cpu_seconds": round(times.user + times.system, 2),
        }


def tree_rss(pid: int) -> int | None:
    """Bytes resident in a process and all its children, or None if it is gone."""
    try:
        root = psutil.Process(pid)
        return int(root.memory_info().rss + sum(c.memory_info().rss for c in root.children(recursive=True)))
    except psutil.Error:
        return None
