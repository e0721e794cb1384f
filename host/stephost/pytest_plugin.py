"""pytest plugin: a real stephost host on the project under test, as the `stephost` fixture.

Registered through the `pytest11` entry point, so installing stephost is enough:

    def test_a_todo_is_saved(stephost):
        r = stephost.post("/todos", json={"title": "x"})
        stephost.wait_events(step="SaveTodo", trace_id=r.headers["x-trace-id"])

The plugin only adds the fixture and its options; nothing starts unless a test asks for
`stephost`. The host is started once per session (`stephost start`, so an invalid step
fails the session instead of being skipped) with `--enable-emit-endpoint`, in-memory
storage in a temporary data dir and JSON logs, and stopped by pid at the end, checking
that no worker outlived it. Which project: `--stephost-project DIR`, else the
`stephost_project` ini option (relative to the ini file), else pytest's rootdir.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from stephost.testing import HostProcess

if TYPE_CHECKING:
    import httpx

__all__ = ["HostClient", "LogRecord", "project_dir", "stephost"]

LogRecord = dict[str, Any]
"""One host log line: `level, time, msg, step, traceId, flows` and the fields the step logged."""


class HostClient:
    """What the `stephost` fixture gives a test: HTTP to the host and its captured log records."""

    def __init__(self, host: HostProcess, timeout_s: float = 30.0) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the user's environment
            raise RuntimeError("the stephost fixture needs httpx: pip install 'stephost[testing]'") from exc
        self.host = host
        self._http = httpx.Client(base_url=host.url, timeout=timeout_s)

    @property
    def url(self) -> str:
        """The host's base URL, e.g. `http://127.0.0.1:41234`."""
        return self.host.url

    @property
    def logs(self) -> str:
        """Everything the host printed so far (JSON lines, plus anything a crash wrote)."""
        return self.host.output()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Any request; `kwargs` go to `httpx.Client.request` (json=, params=, headers=, content=)."""
        return self._http.request(method, path, **kwargs)

    def get(self, path: str, params: Any = None, **kwargs: Any) -> httpx.Response:
        return self._http.get(path, params=params, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self._http.post(path, json=json, **kwargs)

    def emit(self, topic: str, data: Any) -> httpx.Response:
        """Emit `data` to `topic` through the host's `POST /emit`, as a step would.

        200 once every subscriber's copy is queued; 400 when a subscriber's input schema
        refuses the data. The response's `x-trace-id` is the trace the subscribers log under.
        """
        return self._http.post("/emit", json={"topic": topic, "data": data})

    def captured(
        self,
        step: str | None = None,
        level: str | None = None,
        trace_id: str | None = None,
        *,
        msg: str | None = None,
        topic: str | None = None,
    ) -> list[LogRecord]:
        """The host's log records so far, oldest first, narrowed by whichever filters are given.

        `msg` matches a part of the message; `topic` the record's `topic` field. Step logs
        carry the step's name in `step`; the host's own lines have `step == "stephost"`.
        """
        return [r for r in self.host.log_records() if _matches(r, step, level, trace_id, msg, topic)]

    def wait_events(
        self,
        predicate: Callable[[LogRecord], bool] | None = None,
        *,
        step: str | None = None,
        level: str | None = None,
        trace_id: str | None = None,
        msg: str | None = None,
        topic: str | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[LogRecord]:
        """Wait until at least `count` log records match; return every match.

        Events run after the request that emitted them has been answered, so a test waits
        for the log line of the step that handles one. Raises AssertionError after `timeout`
        seconds, showing the last records the host wrote.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [
                r
                for r in self.captured(step, level, trace_id, msg=msg, topic=topic)
                if predicate is None or predicate(r)
            ]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        wanted = {"step": step, "level": level, "trace_id": trace_id, "msg": msg, "topic": topic}
        described = ", ".join(f"{k}={v!r}" for k, v in wanted.items() if v is not None)
        if predicate is not None:
            described = ", ".join(filter(None, [described, f"predicate={getattr(predicate, '__name__', predicate)}"]))
        tail = "\n".join(self.logs.splitlines()[-30:])
        raise AssertionError(
            f"{len(found)} of {count} log record(s) matching {described or 'anything'} within {timeout} s; "
            f"the host's last lines:\n{tail}"
        )

    def close(self) -> None:
        self._http.close()


def _matches(
    record: LogRecord,
    step: str | None,
    level: str | None,
    trace_id: str | None,
    msg: str | None,
    topic: str | None,
) -> bool:
    return (
        (step is None or record.get("step") == step)
        and (level is None or record.get("level") == level)
        and (trace_id is None or record.get("traceId") == trace_id)
        and (msg is None or msg in str(record.get("msg", "")))
        and (topic is None or record.get("topic") == topic)
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stephost", "stephost: run the project's host for the `stephost` fixture")
    group.addoption(
        "--stephost-project",
        metavar="DIR",
        default=None,
        help="the project the `stephost` fixture runs (default: the stephost_project ini option, else the rootdir)",
    )
    parser.addini("stephost_project", "the project the `stephost` fixture runs, relative to the ini file", default="")


def project_dir(config: pytest.Config) -> Path:
    """The project the fixture runs: the option, else the ini value, else the rootdir."""
    option = config.getoption("stephost_project")
    if option:
        return (config.invocation_params.dir / str(option)).resolve()
    ini = str(config.getini("stephost_project") or "")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / ini).resolve()
    return config.rootpath


@pytest.fixture(scope="session")
def stephost(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostClient]:
    """A real host on the project under test, shared by the session; stopped, workers and all, at the end."""
    project = project_dir(request.config)
    if not project.is_dir():
        pytest.fail(f"stephost: the project folder {project} does not exist", pytrace=False)
    host = HostProcess(
        project,
        mode="start",
        extra_args=["--log-format", "json", "--log-level", "debug", "--storage", "memory", "--enable-emit-endpoint"],
        data_dir=tmp_path_factory.mktemp("stephost-data"),
    )
    client = HostClient(host)
    host.start()
    try:
        yield client
    finally:
        client.close()
        host.stop()
