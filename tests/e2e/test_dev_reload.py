"""`stephost dev` reloads what changed while requests keep flowing, and never serves a broken edit."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from stephost.streams.client import StreamClient, StreamError
from stephost.testing import HostProcess, wait_for

MIXED = Path(__file__).parent / "projects" / "mixed"


class Load:
    """Requests in a loop from a thread until stopped; every answer's status is counted."""

    def __init__(self, url: str, paths: list[str]) -> None:
        self.url = url
        self.paths = paths
        self.statuses: Counter[int | str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self._stop.is_set():
                for path in self.paths:
                    try:
                        self.statuses[client.get(self.url + path).status_code] += 1
                    except httpx.HTTPError as exc:
                        self.statuses[type(exc).__name__] += 1

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(MIXED, copy, ignore=shutil.ignore_patterns("__pycache__", ".stephost"))
    return copy


@pytest.fixture
def host(project: Path) -> Iterator[HostProcess]:
    with HostProcess(project, mode="dev", extra_args=["--log-format", "json"]) as h:
        yield h


def greeting(host: HostProcess, lang: str) -> str:
    return str(httpx.get(f"{host.url}/{lang}/hello/ann", timeout=30).json()["greeting"])


def host_says(host: HostProcess, text: str) -> list[str]:
    return [r["msg"] for r in host.log_records() if r.get("step") == "stephost" and text in r.get("msg", "")]


def test_editing_a_ts_helper_and_a_python_step_under_load_fails_no_request(host: HostProcess, project: Path) -> None:
    assert greeting(host, "ts") == "hello ann" and greeting(host, "py") == "hello ann"
    ts_pid, other_pid = host.worker_pids()["TsHello"], host.worker_pids()["PyEcho"]
    with Load(host.url, ["/ts/hello/ann", "/py/hello/ann"]) as load:
        wait_for(lambda: sum(load.statuses.values()) > 20)
        (project / "steps" / "lib" / "greet.ts").write_text(
            "export function greet(name: string): string {\n  return `howdy ${name}`\n}\n"
        )
        step = project / "steps" / "py_hello_step.py"
        step.write_text(step.read_text().replace('greet(req.pathParams["name"])', '"hey " + req.pathParams["name"]'))
        wait_for(lambda: greeting(host, "ts") == "howdy ann", timeout_s=60)
        wait_for(lambda: greeting(host, "py") == "hey ann", timeout_s=60)
        served = sum(load.statuses.values())
        wait_for(lambda: sum(load.statuses.values()) > served + 20)  # and it goes on after the swap
    assert set(load.statuses) == {200}, load.statuses  # zero failed requests, before, during, after
    assert host.worker_pids()["TsHello"] != ts_pid  # a fresh worker serves the new code
    assert host.worker_pids()["PyEcho"] == other_pid  # a step that loaded neither file was left alone
    assert host_says(host, "reloaded step 'TsHello' from steps/ts_hello.step.ts")
    assert host_says(host, "reloaded step 'PyHello' from steps/py_hello_step.py")


def test_a_broken_edit_keeps_the_last_good_version_serving_and_says_why(host: HostProcess, project: Path) -> None:
    step = project / "steps" / "py_hello_step.py"
    good = step.read_text()
    step.write_text(good.replace("def handler(req, context):", "def handler(req, context)"))
    (project / "steps" / "ts_hello.step.ts").write_text("export const config = { type: 'api', name: 'TsHello',")
    errors = wait_for(lambda: (e := host_says(host, "the last good version keeps serving")) and len(e) >= 2 and e)
    assert any("steps/py_hello_step.py did not load" in e and "SyntaxError" in e for e in errors), errors
    assert any("steps/ts_hello.step.ts did not load" in e for e in errors), errors
    assert greeting(host, "py") == "hello ann" and greeting(host, "ts") == "hello ann"
    step.write_text(good.replace('greet(req.pathParams["name"])', '"fixed " + req.pathParams["name"]'))
    wait_for(lambda: greeting(host, "py") == "fixed ann", timeout_s=60)


def test_a_new_step_file_appears_and_a_deleted_one_disappears(host: HostProcess, project: Path) -> None:
    new = project / "steps" / "late_step.py"
    new.write_text(
        'config = {"type": "api", "name": "Late", "path": "/late", "method": "GET", "emits": []}\n\n\n'
        "async def handler(req, context):\n"
        '    return {"status": 200, "body": {"late": True}}\n'
    )
    wait_for(lambda: httpx.get(host.url + "/late", timeout=30).status_code == 200, timeout_s=60)
    assert host_says(host, "added step 'Late' from steps/late_step.py")
    # dev keeps the generated types in step: the new step is typed, and gone again when deleted
    types = project / "types.d.ts"
    assert wait_for(lambda: '"Late": ApiRouteHandler' in types.read_text())
    assert "class LateRequest" in (project / "stephost_types.py").read_text()
    late_pid = host.worker_pids()["Late"]
    new.unlink()
    wait_for(lambda: httpx.get(host.url + "/late", timeout=30).status_code == 404, timeout_s=60)
    assert host_says(host, "removed step 'Late': steps/late_step.py is gone")
    assert wait_for(lambda: '"Late"' not in types.read_text())
    wait_for(lambda: "Late" not in host.worker_pids() and not _alive(late_pid))


def test_a_noop_step_file_comes_and_goes_in_the_registry(host: HostProcess, project: Path) -> None:
    def nodes() -> set[str]:
        flows = httpx.get(host.url + "/__workbench/api/flows", timeout=30).json()["flows"]
        return {n["name"] for n in next(f for f in flows if f["name"] == "all")["nodes"]}

    noop = project / "steps" / "manual_review.step.ts"
    noop.write_text(
        "export const config = { type: 'noop', name: 'ManualReview', virtualSubscribes: ['review'], "
        "virtualEmits: [], flows: ['default'] }\n"
    )
    wait_for(lambda: "ManualReview" in nodes(), timeout_s=60)
    noop.unlink()
    wait_for(lambda: "ManualReview" not in nodes(), timeout_s=60)
    assert host_says(host, "removed step 'ManualReview': steps/manual_review.step.ts is gone")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_start_does_not_watch(project: Path) -> None:
    with HostProcess(project, mode="start", extra_args=["--log-format", "json"]) as host:
        pid = host.worker_pids()["PyHello"]
        step = project / "steps" / "py_hello_step.py"
        step.write_text(step.read_text().replace('greet(req.pathParams["name"])', '"changed"'))
        time.sleep(1.5)  # dev would have reloaded by now; start serves what it loaded
        assert greeting(host, "py") == "hello ann"
        assert host.worker_pids()["PyHello"] == pid


CHAT = Path(__file__).parent / "projects" / "chat"
BOARD_STREAM = """export const config = {
  name: 'board',
  schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  baseConfig: { storageType: 'default' },
}
"""
POST_NOTE = """export const config = {
  type: 'api', name: 'PostNote', path: '/board/:group/:id', method: 'PUT', emits: [],
}

export const handler = async (req: any, ctx: any) => {
  const item = await ctx.streams.board.set(req.pathParams.group, req.pathParams.id, { text: req.body.text })
  return { status: 200, body: item }
}
"""


async def test_a_stream_file_added_or_deleted_in_dev_comes_and_goes_for_steps_and_clients(tmp_path: Path) -> None:
    project = tmp_path / "chat"
    shutil.copytree(CHAT, project, ignore=shutil.ignore_patterns("__pycache__", ".stephost"))
    with HostProcess(project, mode="dev", extra_args=["--log-format", "json"]) as host:
        (project / "steps" / "board.stream.ts").write_text(BOARD_STREAM)
        (project / "steps" / "post_note.step.ts").write_text(POST_NOTE)

        def put(text: str) -> httpx.Response:
            return httpx.put(host.url + "/board/lobby/n1", json={"text": text}, timeout=30)

        wait_for(lambda: put("first").status_code == 200, timeout_s=60)
        assert host_says(host, "added stream 'board' from steps/board.stream.ts")
        async with StreamClient(host.url.replace("http", "ws") + "/") as client:
            assert await (await client.subscribe_group("board", "lobby")).sync() == [{"text": "first", "id": "n1"}]
        # the project's other steps kept working through the reload of every step worker
        r = httpx.post(host.url + "/rooms/r1/messages", json={"id": "m1", "text": "hi", "author": "ada"}, timeout=30)
        assert r.status_code == 200
        (project / "steps" / "board.stream.ts").unlink()
        wait_for(lambda: host_says(host, "removed stream 'board': steps/board.stream.ts is gone"), timeout_s=60)
        assert put("second").status_code == 500
        assert any(
            r.get("code") == "STREAM_NOT_FOUND" or "STREAM_NOT_FOUND" in r.get("msg", "") for r in host.log_records()
        )


SECURE = Path(__file__).parent / "projects" / "secure"
ACCESS_RULE = "export const allowed = (userId: string | undefined, group: string) => userId === group\n"


async def connects(host: HostProcess, token: str) -> bool:
    """Whether a stream client with `token` gets past motia.config's authenticate."""
    try:
        async with StreamClient(host.url.replace("http", "ws") + "/", headers={"authorization": f"Bearer {token}"}):
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 401
        return False


async def may_join(host: HostProcess, token: str, group: str) -> bool:
    async with StreamClient(host.url.replace("http", "ws") + "/", headers={"authorization": f"Bearer {token}"}) as c:
        sub = await c.subscribe_group("private", group)
        try:
            await sub.sync()
            return True
        except StreamError as denied:
            assert denied.code == "STREAM_ACCESS_DENIED"
            return False


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "the reload never took effect"
        await asyncio.sleep(0.2)


async def test_dev_reloads_motia_config_stream_auth_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    project = tmp_path / "secure"
    shutil.copytree(SECURE, project, ignore=shutil.ignore_patterns("__pycache__", ".stephost"))
    config = project / "motia.config.ts"
    with HostProcess(project, mode="dev", extra_args=["--log-format", "json"]) as host:
        assert await connects(host, "ada") and not await connects(host, "bad")
        config.write_text(config.read_text().replace("token === 'bad'", "token === 'ada'"))
        await eventually(lambda: connects(host, "bad"))
        assert not await connects(host, "ada")
        assert host_says(host, "reloaded streamAuth from motia.config.ts")
        # a broken edit: the last good authenticate keeps guarding the socket
        config.write_text(config.read_text().replace("authenticate: async", "authenticate: async ((("))
        wait_for(lambda: host_says(host, "motia.config.ts did not load, the last good version keeps serving"))
        assert not await connects(host, "ada") and await connects(host, "bad")
        # without a motia.config every client connects, anonymously
        config.unlink()
        wait_for(lambda: host_says(host, "removed streamAuth"))
        assert await connects(host, "ada") and await connects(host, "bad")


async def test_dev_reloads_a_stream_file_when_a_helper_it_imports_changes(tmp_path: Path) -> None:
    project = tmp_path / "secure"
    shutil.copytree(SECURE, project, ignore=shutil.ignore_patterns("__pycache__", ".stephost"))
    (project / "steps" / "access_rule.ts").write_text(ACCESS_RULE)
    stream = project / "steps" / "private.stream.ts"
    stream.write_text(
        "import { allowed } from './access_rule'\n"
        + stream.read_text().replace(
            "return auth?.userId === subscription.groupId", "return allowed(auth?.userId, subscription.groupId)"
        )
    )
    with HostProcess(project, mode="dev", extra_args=["--log-format", "json"]) as host:
        assert await may_join(host, "ada", "ada") and not await may_join(host, "ada", "team")
        (project / "steps" / "access_rule.ts").write_text(
            ACCESS_RULE.replace("userId === group", "userId === group || group === 'team'")
        )
        await eventually(lambda: may_join(host, "ada", "team"))
        assert await may_join(host, "ada", "ada") and not await may_join(host, "ada", "bob")
        assert host_says(host, "reloaded stream 'private' from steps/private.stream.ts")
