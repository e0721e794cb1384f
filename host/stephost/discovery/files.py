"""Find the step and stream files of a project (spec §1)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from stephost.errors import ConfigProblem

STEP_ROOTS = ("steps", "src")

_STEP_FILE = re.compile(r"(\.step\.(ts|js|rb)|_step\.(ts|js|py|rb))$")
_STREAM_FILE = re.compile(r"(\.stream\.(ts|js|rb)|_stream\.(ts|js|py|rb))$")
# Motia reads `.step.py` nowhere: a dotted name is not importable from Python.
_MISNAMED_PY_STEP = re.compile(r"\.step\.py$")
_MISNAMED_PY_STREAM = re.compile(r"\.stream\.py$")

_SKIPPED_DIRS = {"node_modules", "__pycache__", "venv", "python_modules", "site-packages", "dist"}


@dataclass(frozen=True)
class DiscoveredFiles:
    """What a project folder holds, in a stable order (steps/ before src/, then by path)."""

    steps: list[Path] = field(default_factory=list)
    streams: list[Path] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)


def _is_skipped(name: str, path: Path) -> bool:
    if name.startswith(".") or name in _SKIPPED_DIRS:
        return True
    # Any virtual environment, whatever it is called.
    return (path / "pyvenv.cfg").exists()


def discover(project: Path) -> DiscoveredFiles:
    """List step and stream files under `steps/` and `src/` at any depth."""
    found = DiscoveredFiles()
    for root_name in STEP_ROOTS:
        root = project / root_name
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not _is_skipped(d, here / d))
            for name in sorted(filenames):
                path = here / name
                rel = str(path.relative_to(project))
                if _STEP_FILE.search(name):
                    found.steps.append(path)
                elif _STREAM_FILE.search(name):
                    found.streams.append(path)
                elif _MISNAMED_PY_STEP.search(name) or _MISNAMED_PY_STREAM.search(name):
                    kind = "step" if _MISNAMED_PY_STEP.search(name) else "stream"
                    fixed = name.replace(f".{kind}.py", f"_{kind}.py")
                    found.problems.append(
                        ConfigProblem(
                            file=rel,
                            step=None,
                            field=None,
                            message=(
                                f"not loaded: Python {kind} files must be named *_{kind}.py "
                                f"so they can be imported; rename it to {fixed}"
                            ),
                        )
                    )
    return found
