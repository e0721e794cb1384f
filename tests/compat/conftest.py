"""Fixtures for the Motia-compatibility suite: real hosts on the projects under projects/.

Each test module starts the host of its project once (module scope) through
`compat_host`, so the whole suite pays one start-up per project.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import pytest

from stephost.testing import HostProcess
from tests.compat.helpers import PROJECTS, HostFactory


@pytest.fixture(scope="session")
def compat_host(tmp_path_factory: pytest.TempPathFactory) -> HostFactory:
    """`with compat_host("shop", mode="dev", extra_args=[...]) as host:` runs a host on projects/shop.

    Logs are JSON (`host.log_records()`), state and queues go to a temporary data
    dir (never into the project folder), and every process is stopped on exit,
    also when the host fails to start.
    """

    @contextlib.contextmanager
    def run(project: str, *, mode: str = "start", extra_args: Sequence[str] = ()) -> Iterator[HostProcess]:
        data_dir = tmp_path_factory.mktemp(f"{project}-data")
        host = HostProcess(
            PROJECTS / project,
            mode=mode,
            extra_args=["--log-format", "json", "--data-dir", str(data_dir), *extra_args],
        )
        try:
            host.start()
            yield host
        finally:
            # HostProcess.start() does not close its log file when the host exits early.
            host.stop()

    return run
