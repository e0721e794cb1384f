"""stephost's pytest plugin, run the way users run it: a pytest session (pytester, in a
subprocess, the plugin loaded from its entry point) on a tiny project with real hosts."""

from __future__ import annotations

import json
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import psutil
import pytest

pytest_plugins = ["pytester"]

PROJECT = {
    "steps/hello_step.py": """
        config = {"type": "api", "name": "Hello", "path": "/hello/:name", "method": "GET", "emits": ["greeted"]}

        async def handler(req, context):
            context.logger.info("said hello", {"name": req.pathParams["name"]})
            await context.emit({"topic": "greeted", "data": {"name": req.pathParams["name"]}})
            return {"status": 200, "body": {"greeting": "hello " + req.pathParams["name"], "query": req.queryParams}}
    """,
    "steps/note_step.py": """
        config = {
            "type": "event",
            "name": "Note",
            "subscribes": ["greeted"],
            "emits": [],
            "input": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        }

        async def handler(data, context):
            context.logger.warn("noted", {"name": data["name"], "topic": "greeted"})
    """,
    "steps/echo_step.py": """
        config = {"type": "api", "name": "Echo", "path": "/echo", "method": "POST", "emits": []}

        async def handler(req, context):
            return {"status": 200, "body": req.body}
    """,
}

USES_EVERY_PART = """
    import json
    import os

    import pytest

    def test_get_and_post_answer_with_httpx_responses(stephost):
        r = stephost.get("/hello/ada", params={"x": "1"})
        assert r.status_code == 200
        assert r.json() == {"greeting": "hello ada", "query": {"x": "1"}}
        assert stephost.post("/echo", json={"a": [1, None]}).json() == {"a": [1, None]}
        assert stephost.url.startswith("http://127.0.0.1:")

    def test_step_logs_are_captured_and_waited_for_by_step_level_and_trace(stephost):
        trace_id = stephost.get("/hello/bob").headers["x-trace-id"]
        [noted] = stephost.wait_events(step="Note", trace_id=trace_id)
        assert (noted["level"], noted["msg"], noted["name"]) == ("warn", "noted", "bob")
        assert [r["msg"] for r in stephost.captured(step="Hello", trace_id=trace_id)] == ["said hello"]
        assert stephost.captured(level="warn", trace_id=trace_id) == [noted]
        assert '"said hello"' in stephost.logs

    def test_emit_reaches_subscribers_and_a_refused_emit_is_a_400(stephost):
        r = stephost.emit("greeted", {"name": "cy"})
        assert r.status_code == 200
        [noted] = stephost.wait_events(lambda rec: rec.get("name") == "cy", topic="greeted")
        assert noted["traceId"] == r.headers["x-trace-id"]
        assert stephost.emit("greeted", {"nom": "cy"}).status_code == 400

    def test_wait_events_fails_after_its_timeout_showing_the_host_lines(stephost):
        with pytest.raises(AssertionError, match="0 of 2 log record.*step='Nobody'.*host's last lines"):
            stephost.wait_events(step="Nobody", count=2, timeout=0.2)

    def test_one_host_serves_the_session_with_a_temporary_data_dir(stephost, tmp_path_factory):
        host = stephost.host
        assert host.data_dir.is_relative_to(tmp_path_factory.getbasetemp())
        assert host.mode == "start"
        assert "--enable-emit-endpoint" in host.command()
        pids = [host.proc.pid, *host.worker_pids().values()]
        with open(os.environ["PIDS_FILE"], "w") as f:
            json.dump(pids, f)
"""


def write_project(base: Path) -> None:
    for name, text in PROJECT.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    [plugin] = [e for e in entry_points(group="pytest11") if e.name == "stephost"]
    assert plugin.value == "stephost.pytest_plugin"


def test_the_fixture_runs_the_rootdir_project_and_stops_it_with_its_workers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_project=USES_EVERY_PART)
    pids_file = pytester.path / "pids.json"
    monkeypatch.setenv("PIDS_FILE", str(pids_file))

    result = pytester.runpytest_subprocess("-q", timeout=180)

    result.assert_outcomes(passed=5)
    pids = json.loads(pids_file.read_text())
    assert len(pids) == 4
    assert [pid for pid in pids if psutil.pid_exists(pid)] == []


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_project_can_be_named_by_option_or_ini_relative_to_where_it_is_given(
    how: str, pytester: pytest.Pytester
) -> None:
    write_project(pytester.path / "app")
    pytester.makeini("[pytest]\nstephost_project = app\n" if how == "ini" else "[pytest]\n")
    pytester.makepyfile(
        test_it="""
        def test_the_named_project_answers(stephost):
            assert stephost.get("/hello/x").json()["greeting"] == "hello x"
            assert stephost.host.project.name == "app"
        """
    )

    args = ["--stephost-project", "app"] if how == "option" else []
    result = pytester.runpytest_subprocess("-q", *args, timeout=180)

    result.assert_outcomes(passed=1)


def test_a_project_with_an_invalid_step_errors_the_tests_with_the_host_complaint(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    (pytester.path / "steps" / "broken_step.py").write_text('config = {"type": "api", "name": "Broken"}\n')
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_it="def test_it(stephost):\n    pass\n")

    result = pytester.runpytest_subprocess("-q", timeout=180)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*HostFailedToStart*", "*broken_step.py*", "*not starting*"])


def test_a_missing_project_folder_fails_the_fixture_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_it="def test_it(stephost):\n    pass\n")

    result = pytester.runpytest_subprocess("-q", "--stephost-project", "nowhere", timeout=60)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*the project folder {pytester.path / 'nowhere'} does not exist*"])


def test_tests_that_do_not_ask_for_the_fixture_start_nothing(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_it="""
        import psutil

        def test_no_host_was_started():
            assert psutil.Process().children(recursive=True) == []
        """
    )

    result = pytester.runpytest_subprocess("-q", timeout=60)

    result.assert_outcomes(passed=1)
    assert "stephost" not in result.stdout.str()
    pytester.runpytest_subprocess("--help").stdout.fnmatch_lines(["*--stephost-project=DIR*"])
