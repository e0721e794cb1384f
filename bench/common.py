"""What every bench returns and how the summary is printed: one `Figure` per row of issue 9's table.

    from common import Figure, Target
    Figure("GET api, Python worker, req/s", 1400, 3400, "req/s", Target.ratio_min(1.0))

A figure is stephost's number beside its baseline from the same run, with the target it is
held to: either a ratio to the baseline or an absolute bound on stephost's own number.
Also here: starting and stopping the processes a bench spawns itself, by pid.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import psutil


@dataclass(frozen=True)
class Target:
    """`value` bounds the ratio (stephost / baseline) when `on_ratio`, else stephost's own number."""

    value: float
    at_least: bool
    on_ratio: bool

    @classmethod
    def ratio_min(cls, value: float) -> Target:
        return cls(value, at_least=True, on_ratio=True)

    @classmethod
    def ratio_max(cls, value: float) -> Target:
        return cls(value, at_least=False, on_ratio=True)

    @classmethod
    def minimum(cls, value: float) -> Target:
        return cls(value, at_least=True, on_ratio=False)

    @classmethod
    def maximum(cls, value: float) -> Target:
        return cls(value, at_least=False, on_ratio=False)

    def describe(self, unit: str) -> str:
        sign = ">=" if self.at_least else "<="
        return f"{sign} {self.value:.2f}x" if self.on_ratio else f"{sign} {format_value(self.value, unit)}"

    def met(self, stephost: float, ratio: float | None) -> bool | None:
        measured = ratio if self.on_ratio else stephost
        if measured is None:
            return None
        return measured >= self.value if self.at_least else measured <= self.value


@dataclass(frozen=True)
class Figure:
    figure: str
    stephost: float
    baseline: float | None
    unit: str
    target: Target | None = None  # None: shown for information, never FAIL
    # A bench that measures its two sides in adjacent pairs of rounds gives the median of the
    # pairs' ratios here; otherwise the ratio is stephost / baseline (of the two medians).
    paired_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        return self.stephost / self.baseline if self.baseline else None

    @property
    def passed(self) -> bool | None:
        return self.target.met(self.stephost, self.ratio) if self.target else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "stephost": self.stephost,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": self.target.describe(self.unit) if self.target else None,
            "pass": self.passed,
            "unit": self.unit,
        }


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("s", "ms", "MiB"):
        return f"{value:.2f} {unit}" if value < 10 else f"{value:.1f} {unit}"
    return f"{value:,.0f} {unit}"


def print_table(figures: list[Figure], title: str = "") -> None:
    headers = ("figure", "stephost", "baseline", "ratio", "target", "pass")
    rows = [
        (
            f.figure,
            format_value(f.stephost, f.unit),
            format_value(f.baseline, f.unit),
            f"{f.ratio:.2f}x" if f.ratio is not None else "-",
            f.target.describe(f.unit) if f.target else "-",
            {True: "pass", False: "FAIL", None: "-"}[f.passed],
        )
        for f in figures
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    if title:
        print(f"\n{title}")
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        # Text left, numbers right: the eye compares numbers by their last digits.
        cells = [c.ljust(w) if i in (0, 4, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print(" | ".join(cells))


def wait_http(url: str, timeout_s: float = 30, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Until `url` answers at all; fails early if `proc` (the server) has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def stop_process(
    proc: subprocess.Popen[bytes], known: list[psutil.Process] | None = None, timeout_s: float = 15
) -> list[int]:
    """SIGTERM `proc`, SIGKILL it after `timeout_s`; then SIGKILL whichever of `known` (its
    children, seen while it ran) outlived it. Returns the pids that had to be killed that way.

    psutil.Process objects are kept rather than pids so a recycled pid is never signalled.
    """
    known = [*(known or []), *descendants(proc.pid)]
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    leftovers: list[int] = []
    for child in known:
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
                child.kill()
                leftovers.append(child.pid)
    if leftovers:
        # Give the kills a moment so the caller's leak check sees them gone.
        psutil.wait_procs([p for p in known if p.pid in leftovers], timeout=5)
    return leftovers


def rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def tree_rss_mib(pid: int) -> float:
    """RSS of `pid` plus all its descendants (shared pages counted once per process)."""
    return rss_mib(pid) + sum(c.memory_info().rss for c in descendants(pid)) / 2**20
