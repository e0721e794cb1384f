from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stephost.testing import HostProcess

PROJECTS = Path(__file__).parent / "projects"


@pytest.fixture(scope="module")
def mixed_host() -> Iterator[HostProcess]:
    with HostProcess(PROJECTS / "mixed", mode="start", extra_args=["--log-format", "json"]) as host:
        yield host
