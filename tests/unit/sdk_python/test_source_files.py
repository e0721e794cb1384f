"""Hello.source_files: which loaded modules count as the project's own files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

import pytest

from stephost_sdk import loader
from stephost_sdk.loader import load_step, source_files

from .fakes import FIXTURE_PROJECT


def _module(name: str, file: Path | str | None) -> ModuleType:
    module = ModuleType(name)
    if file is not None:
        module.__file__ = str(file)
    return module


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_only_the_projects_own_files_are_listed_sorted_and_absolute(tmp_path: Path) -> None:
    root = tmp_path / "project"
    step = _touch(root / "steps" / "b_step.py")
    helper = _touch(root / "steps" / "a_helper.py")
    lib = _touch(root / "src" / "lib" / "__init__.py")
    modules = {
        "steps.b_step": _module("steps.b_step", step),
        "steps.a_helper": _module("steps.a_helper", helper),
        "again": _module("again", root / "steps" / ".." / "steps" / "a_helper.py"),
        "src.lib": _module("src.lib", lib),
        "steps": _module("steps", None),  # a namespace package: no file
        "json": json,  # the standard library, outside the project
        "outside": _module("outside", _touch(tmp_path / "elsewhere.py")),
        "in_venv": _module("in_venv", _touch(root / ".venv" / "lib" / "python3.11" / "site-packages" / "x.py")),
        "in_venv2": _module("in_venv2", _touch(root / "venv" / "y.py")),
        "in_site": _module("in_site", _touch(root / "vendor" / "site-packages" / "z.py")),
        "in_node": _module("in_node", _touch(root / "node_modules" / "pkg" / "w.py")),
        "stephost_sdk.fake": _module("stephost_sdk.fake", _touch(root / "sdk" / "fake.py")),
        "gone": _module("gone", root / "steps" / "deleted.py"),
    }

    assert source_files(step, root, modules) == sorted(str(p.resolve()) for p in (step, helper, lib))


def test_the_step_file_is_listed_even_when_no_module_names_it(tmp_path: Path) -> None:
    step = _touch(tmp_path / "steps" / "x_step.py")

    assert source_files(step, tmp_path, {}) == [str(step.resolve())]


def test_paths_are_real_paths(tmp_path: Path) -> None:
    real = tmp_path / "real"
    helper = _touch(real / "steps" / "helper.py")
    step = _touch(real / "steps" / "x_step.py")
    link = tmp_path / "link"
    os.symlink(real, link)

    listed = source_files(link / "steps" / "x_step.py", link, {"h": _module("h", link / "steps" / "helper.py")})

    assert listed == sorted(str(p.resolve()) for p in (helper, step))


def test_the_sdk_is_never_listed_even_inside_the_project_root() -> None:
    sdk_dir = Path(loader.__file__).resolve().parent
    root = sdk_dir.parent  # sdk_python: the SDK lives below this "project"
    step = sdk_dir / "loader.py"

    listed = source_files(step, root)

    assert listed == [str(step)]  # only the step itself, which is always listed


@pytest.mark.usefixtures("isolated_imports")
def test_a_loaded_step_lists_itself_and_the_helpers_it_imported() -> None:
    step = load_step(FIXTURE_PROJECT / "steps" / "orders" / "create_step.py", FIXTURE_PROJECT)

    project = FIXTURE_PROJECT.resolve()
    assert source_files(step.file, FIXTURE_PROJECT) == [
        str(project / "src" / "services" / "__init__.py"),
        str(project / "src" / "services" / "pricing.py"),
        str(project / "steps" / "orders" / "create_step.py"),
        str(project / "steps" / "orders" / "helpers.py"),
        str(project / "steps" / "shared" / "labels.py"),
    ]


def test_a_module_file_that_is_itself_a_symlink_is_listed_by_where_it_points(tmp_path: Path) -> None:
    # Folders are resolved once each; a symlinked file must still be followed.
    root = tmp_path / "project"
    step = _touch(root / "steps" / "x_step.py")
    inside = _touch(root / "src" / "real_helper.py")
    outside = _touch(tmp_path / "elsewhere" / "shared.py")
    os.symlink(inside, _touch(tmp_path / "elsewhere" / "placeholder.py").parent / "to_inside.py")
    os.symlink(outside, root / "steps" / "to_outside.py")
    modules = {
        "to_inside": _module("to_inside", tmp_path / "elsewhere" / "to_inside.py"),
        "steps.to_outside": _module("steps.to_outside", root / "steps" / "to_outside.py"),
        "steps.dotted": _module("steps.dotted", str(root / "steps") + "/../src/real_helper.py"),
    }

    listed = source_files(step, root, modules)

    assert listed == sorted(str(p.resolve()) for p in (step, inside))
