"""Writes a starter project from a template folder shipped as package data.

Each template under `project-templates/` is the project as the user gets it, file for file;
only `{{placeholders}}` are filled in, and two names change on the way:

- `x.py.tmpl` becomes `x.py`: the suffix keeps this repository's ruff, mypy and pytest from
  taking a template for its own code (the e2e tests check the written project instead);
- `gitignore` becomes `.gitignore` (package-data globs leave dotfiles out).

The folder's name is not a Python identifier, so setuptools does not take its sub-folders
for packages that were left out of `packages`.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from stephost.workers.launch import sdk_node_dir

TEMPLATES: dict[str, str] = {
    "ts": "TypeScript api, event and cron steps, tested with node:test",
    "py": "Python api, event and cron steps, tested with pytest",
    "mixed": "a TypeScript api step, a Python event step and a stream, tested with pytest",
}

_RENAMED = {"gitignore": ".gitignore"}
_TEMPLATE_SUFFIX = ".tmpl"
_SKIPPED_PARTS = {"__pycache__", "node_modules", ".stephost"}


class ProjectFolderNotEmpty(Exception):
    """Raised when the folder a project would be written to already holds files."""

    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder} already exists and is not empty; choose another name or --dir")
        self.folder = folder


class NotAProjectName(Exception):
    """Raised when NAME is not a plain folder name (empty, `.`/`..`, or holding a path separator)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is not a folder name; give the parent folder with --dir")
        self.name = name


@dataclass(frozen=True)
class CreatedProject:
    folder: Path
    template: str
    files: tuple[Path, ...]


def create_project(name: str, template: str, parent: Path) -> CreatedProject:
    """Write template `template` to `parent/name` and return what was written.

    The folder may exist if it is empty; nothing is written when it holds anything.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}")
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise NotAProjectName(name)
    folder = (parent / name).resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProjectFolderNotEmpty(folder)
    values = _placeholder_values(name)
    written = []
    for relative, source in _template_files(resources.files("stephost.scaffold") / "project-templates" / template):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(source.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(target)
    return CreatedProject(folder=folder, template=template, files=tuple(sorted(written)))


def package_name(name: str) -> str:
    """`name` as an npm package name: lower case, only `a-z 0-9 - . _`, not starting with `.` or `_`."""
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-").lstrip("._")
    return cleaned or "stephost-project"


def _placeholder_values(name: str) -> dict[str, str]:
    # Paths land inside JS string literals: JSON-escape them and drop the quotes.
    return {
        "project_name": name,
        "package_name": package_name(name),
        "sdk_node_dir": json.dumps(str(sdk_node_dir().resolve()))[1:-1],
        "python": json.dumps(sys.executable)[1:-1],
    }


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _template_files(root: Traversable, prefix: Path = Path()) -> list[tuple[Path, Traversable]]:
    files = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name in _SKIPPED_PARTS or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            files.extend(_template_files(entry, prefix / entry.name))
        else:
            files.append((prefix / _target_name(entry.name), entry))
    return files


def _target_name(name: str) -> str:
    return _RENAMED.get(name, name.removesuffix(_TEMPLATE_SUFFIX))
