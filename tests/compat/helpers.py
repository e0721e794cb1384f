"""Small helpers shared by the compat tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from stephost.testing import HostProcess, wait_for

T = TypeVar("T")

PROJECTS = Path(__file__).parent / "projects"

# `with compat_host(project, mode=..., extra_args=...) as host:` (see conftest.py)
HostFactory = Callable[..., AbstractContextManager[HostProcess]]


def records(host: HostProcess, **match: Any) -> list[dict[str, Any]]:
    """The host's JSON log records whose fields equal every `match` item."""
    return [r for r in host.log_records() if all(r.get(k) == v for k, v in match.items())]


def wait_for_record(host: HostProcess, contains: str = "", timeout_s: float = 5.0, **match: Any) -> dict[str, Any]:
    """The first record matching `match` whose `msg` contains `contains`, waiting for it to be written."""

    def find() -> dict[str, Any] | None:
        return next((r for r in records(host, **match) if contains in str(r.get("msg", ""))), None)

    return wait_for(find, timeout_s=timeout_s)
