"""Small helpers shared by the compat tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from stephost.testing import HostProcess

T = TypeVar("T")

PROJECTS = Path(__file__).parent / "projects"

# `with compat_host(project, mode=..., extra_args=...) as host:` (see conftest.py)
HostFactory = Callable[..., AbstractContextManager[HostProcess]]


def wait_for(predicate: Callable[[], T | None], timeout_s: float = 10.0, interval_s: float = 0.05) -> T:
    """Poll `predicate` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s (last value: {last!r})")


def records(host: HostProcess, **match: Any) -> list[dict[str, Any]]:
    """The host's JSON log records whose fields equal every `match` item."""
    return [r for r in host.log_records() if all(r.get(k) == v for k, v in match.items())]


def wait_for_record(host: HostProcess, contains: str = "", timeout_s: float = 5.0, **match: Any) -> dict[str, Any]:
    """The first record matching `match` whose `msg` contains `contains`, waiting for it to be written."""

    def find() -> dict[str, Any] | None:
        return next((r for r in records(host, **match) if contains in str(r.get("msg", ""))), None)

    return wait_for(find, timeout_s=timeout_s)
