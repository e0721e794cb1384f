"""`stephost create`: which files each template writes, and when it refuses to write any."""

from __future__ import annotations

import glob
import json
import sys
import tomllib
from pathlib import Path

import pytest

from stephost.cli import main
from stephost.scaffold import TEMPLATES, create_project
from stephost.scaffold.project import package_name
from stephost.workers.launch import sdk_node_dir

ROOT = Path(__file__).resolve().parents[3]
SCAFFOLD = ROOT / "host" / "stephost" / "scaffold"

EXPECTED = {
    "ts": {
        ".gitignore",
        "README.md",
        "package.json",
        "tsconfig.json",
        "steps/types.ts",
        "steps/create_todo.step.ts",
        "steps/save_todo.step.ts",
        "steps/list_todos.step.ts",
        "steps/count_todos.step.ts",
        "tests/api.test.js",
        "tests/host.js",
    },
    "py": {
        ".gitignore",
        "README.md",
        "pyproject.toml",
        "steps/create_todo_step.py",
        "steps/save_todo_step.py",
        "steps/list_todos_step.py",
        "steps/count_todos_step.py",
        "tests/test_api.py",
    },
    "mixed": {
        ".gitignore",
        "README.md",
        "package.json",
        "pyproject.toml",
        "tsconfig.json",
        "steps/types.ts",
        "steps/create_todo.step.ts",
        "steps/todos.stream.ts",
        "steps/save_todo_step.py",
        "steps/list_todos_step.py",
        "tests/test_api.py",
    },
}


def written(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_writes_its_steps_test_and_readme_with_every_placeholder_filled(
    template: str, tmp_path: Path
) -> None:
    created = create_project("My App", template, tmp_path)

    assert created.folder == tmp_path / "My App"
    assert written(created.folder) == EXPECTED[template]
    for file in created.files:
        assert "{{" not in file.read_text(), file
    assert "# My App" in (created.folder / "README.md").read_text()
    if (created.folder / "package.json").exists():
        package = json.loads((created.folder / "package.json").read_text())
        assert package["name"] == "my-app"
        assert package["dependencies"] == {"zod": "^4.1.0"}
        assert set(package["devDependencies"]) == {"typescript"}


def test_the_ts_test_helper_loader_falls_back_to_the_creating_stephost(tmp_path: Path) -> None:
    host_js = (create_project("app", "ts", tmp_path).folder / "tests" / "host.js").read_text()

    expected = f"const CREATED_WITH = {{ sdkNode: {json.dumps(str(sdk_node_dir().resolve()))}, "
    assert expected + f"python: {json.dumps(sys.executable)} }}" in host_js


def test_create_refuses_a_folder_that_is_not_empty_and_leaves_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "notes.txt").write_text("mine")

    code = main(["create", "app", "--template", "py", "--dir", str(tmp_path)])

    assert code == 2
    assert f"{tmp_path / 'app'} already exists and is not empty" in capsys.readouterr().err
    assert written(tmp_path / "app") == {"notes.txt"}


def test_create_refuses_a_file_where_the_folder_would_go(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app").write_text("a file")

    assert main(["create", "app", "--dir", str(tmp_path)]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err


def test_create_writes_into_an_empty_existing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app").mkdir()

    assert main(["create", "app", "--dir", str(tmp_path)]) == 0

    assert written(tmp_path / "app") == EXPECTED["ts"]
    out = capsys.readouterr().out
    assert "stephost dev ." in out
    assert "npm test" in out


@pytest.mark.parametrize("name", ["", ".", "..", "a/b"])
def test_create_refuses_a_name_that_is_not_a_folder_name(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create", name, "--dir", str(tmp_path)]) == 2
    assert "is not a folder name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_template_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["create", "app", "--template", "go", "--dir", str(tmp_path)])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My App", "my-app"),
        ("orders_v2", "orders_v2"),
        ("__x__", "x__"),
        ("Ünïcode!", "n-code"),
        ("!!!", "stephost-project"),
    ],
)
def test_the_npm_package_name_is_derived_from_the_folder_name(name: str, expected: str) -> None:
    assert package_name(name) == expected


def test_every_template_file_is_covered_by_the_package_data_globs() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["stephost.scaffold"]
    shipped = {f for pattern in patterns for f in glob.glob(pattern, root_dir=SCAFFOLD, recursive=True)}
    templates = {
        p.relative_to(SCAFFOLD).as_posix()
        for p in (SCAFFOLD / "project-templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert templates - shipped == set()
    assert "stephost.scaffold" in config["packages"]
