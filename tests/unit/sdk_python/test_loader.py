from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from pathlib import Path

import pytest

from stephost_sdk.dispatcher import Dispatcher
from stephost_sdk.errors import CONFIG_MISSING, HANDLER_MISSING, LOAD_ERROR, LoadError
from stephost_sdk.loader import load_step, module_name_for
from stephost_sdk.messages import Invocation, Ok, Outcome, Trigger

from .fakes import FIXTURE_PROJECT, FakeChannel

pytestmark = pytest.mark.usefixtures("isolated_imports")


def test_a_step_is_named_after_its_path_below_the_project_root() -> None:
    step_file = FIXTURE_PROJECT / "steps" / "orders" / "create_step.py"

    assert module_name_for(step_file, FIXTURE_PROJECT) == "steps.orders.create_step"


def test_relative_and_absolute_project_imports_work_without_init_files() -> None:
    step = load_step(FIXTURE_PROJECT / "steps" / "orders" / "create_step.py", FIXTURE_PROJECT)

    assert step.module_name == "steps.orders.create_step"
    assert step.module.IMPORTED == (300, "order", "order-7")
    assert step.config["name"] == "CreateOrder"
    assert callable(step.handler)
    assert sys.modules["steps.orders.create_step"] is step.module
    assert str(FIXTURE_PROJECT.resolve()) in sys.path


def test_the_projects_folders_win_over_an_unrelated_package_of_the_same_name(tmp_path: Path) -> None:
    # A stray top-level `src` package elsewhere on sys.path must not capture
    # `from src.services... import`.
    stray = tmp_path / "site" / "src"
    stray.mkdir(parents=True)
    (stray / "__init__.py").write_text("STRAY = True\n")
    sys.path.append(str(tmp_path / "site"))

    step = load_step(FIXTURE_PROJECT / "steps" / "orders" / "create_step.py", FIXTURE_PROJECT)

    assert step.module.IMPORTED[0] == 300
    assert not hasattr(sys.modules["src"], "STRAY")


def test_a_noop_step_needs_no_handler() -> None:
    step = load_step(FIXTURE_PROJECT / "steps" / "orders" / "noop_step.py", FIXTURE_PROJECT)

    assert step.handler is None
    assert step.config["type"] == "noop"


def test_a_missing_handler_is_handler_missing() -> None:
    with pytest.raises(LoadError, match=r"no_handler_step\.py: .*no module-level `handler`") as raised:
        load_step(FIXTURE_PROJECT / "steps" / "orders" / "no_handler_step.py", FIXTURE_PROJECT)

    assert raised.value.code == HANDLER_MISSING


def test_a_syntax_error_is_a_load_error_naming_the_file_with_the_stack(tmp_path: Path) -> None:
    step_file = tmp_path / "steps" / "broken_step.py"
    step_file.parent.mkdir()
    step_file.write_text("config = {'type': 'event'\nasync def handler(data, context):\n    pass\n")

    with pytest.raises(LoadError) as raised:
        load_step(step_file, tmp_path)

    error = raised.value
    assert error.code == LOAD_ERROR
    assert str(step_file) in error.message
    assert "SyntaxError" in error.message
    assert "broken_step.py" in error.stack
    assert "steps.broken_step" not in sys.modules


def test_an_import_error_is_a_load_error_with_the_stack(tmp_path: Path) -> None:
    step_file = tmp_path / "steps" / "deps_step.py"
    step_file.parent.mkdir()
    step_file.write_text("from .missing_helper import thing\nconfig = {}\n")

    with pytest.raises(LoadError, match=r"deps_step\.py: ModuleNotFoundError: .*missing_helper") as raised:
        load_step(step_file, tmp_path)

    assert raised.value.code == LOAD_ERROR
    assert "Traceback" in raised.value.stack


def test_a_file_without_config_is_config_missing(tmp_path: Path) -> None:
    step_file = tmp_path / "lonely_step.py"
    step_file.write_text("async def handler(data, context):\n    pass\n")

    with pytest.raises(LoadError, match="no module-level `config`") as raised:
        load_step(step_file, tmp_path)

    assert raised.value.code == CONFIG_MISSING


def test_a_step_outside_the_project_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not inside the project root") as raised:
        load_step(FIXTURE_PROJECT / "steps" / "orders" / "create_step.py", tmp_path)

    assert raised.value.code == LOAD_ERROR


def test_a_stream_file_needs_no_handler_and_offers_its_can_access() -> None:
    step = load_step(FIXTURE_PROJECT / "steps" / "streams" / "todo_stream.py", FIXTURE_PROJECT)

    assert step.is_stream
    assert step.handler is None
    assert step.can_access is step.config["canAccess"]
    assert step.functions == ("canAccess",)


def test_a_stream_file_without_can_access_offers_no_function() -> None:
    step = load_step(FIXTURE_PROJECT / "steps" / "streams" / "public_stream.py", FIXTURE_PROJECT)

    assert step.is_stream
    assert (step.handler, step.can_access, step.functions) == (None, None, ())


def test_a_step_is_not_a_stream_and_offers_no_function() -> None:
    step = load_step(FIXTURE_PROJECT / "steps" / "orders" / "create_step.py", FIXTURE_PROJECT)

    assert not step.is_stream
    assert step.functions == ()


def test_a_can_access_that_is_not_a_function_is_a_load_error(tmp_path: Path) -> None:
    stream_file = tmp_path / "steps" / "bad_stream.py"
    stream_file.parent.mkdir()
    stream_file.write_text("config = {'name': 'bad', 'schema': {}, 'canAccess': True}\n")

    with pytest.raises(
        LoadError, match=r"bad_stream\.py: config\['canAccess'\] must be a function, got bool"
    ) as raised:
        load_step(stream_file, tmp_path)

    assert raised.value.code == LOAD_ERROR


async def test_a_loaded_plain_can_access_runs_in_the_step_threads() -> None:
    step = load_step(FIXTURE_PROJECT / "steps" / "streams" / "sync_stream.py", FIXTURE_PROJECT)
    results: dict[str, Outcome] = {}

    class Sink(FakeChannel):
        def send_result(self, invocation_id: str, outcome: Outcome) -> None:
            results[invocation_id] = outcome

    def access(invocation_id: str, group_id: str) -> Invocation:
        payload = {"subscription": {"groupId": group_id}, "authContext": None}
        return Invocation(invocation_id, Trigger.CAN_ACCESS, payload)

    with concurrent.futures.ThreadPoolExecutor(thread_name_prefix="stephost-step") as executor:
        async with asyncio.TaskGroup() as tasks:
            dispatcher = Dispatcher(
                step.handler, [], Sink(), tasks, executor, is_stream=step.is_stream, can_access=step.can_access
            )
            dispatcher.invoke(access("open", "open"))
            dispatcher.invoke(access("shut", "shut"))

    assert results == {"open": Ok(value_json=b"true"), "shut": Ok(value_json=b"false")}
    assert step.module.CALLED_IN and all(name.startswith("stephost-step") for name in step.module.CALLED_IN)
