from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stephost_sdk.errors import CONFIG_MISSING, HANDLER_MISSING, LOAD_ERROR, LoadError
from stephost_sdk.loader import load_step, module_name_for

from .fakes import FIXTURE_PROJECT

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
