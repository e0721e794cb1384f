"""Write both generated files into a project, touching a file only when its text changed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from stephost.registry import Registry
from stephost.streams.service import StreamDefinition
from stephost.typegen.py_stubs import render_python
from stephost.typegen.ts_declarations import render_typescript

TS_FILE = "types.d.ts"
PY_FILE = "stephost_types.py"


def write_types(project: Path, registry: Registry, streams: Mapping[str, StreamDefinition]) -> list[Path]:
    """Write `types.d.ts` and `stephost_types.py` at the root of `project`; return both paths.

    Pure apart from the two writes, so `dev` can call it after each reload with the
    host's live registry and streams. A file whose text is unchanged is not rewritten:
    its mtime stays, and a watcher or `tsc --watch` sees nothing. Each write goes to a
    temporary file renamed into place, so an editor never reads half a file.
    """
    outputs = {
        project / TS_FILE: render_typescript(registry, streams),
        project / PY_FILE: render_python(registry, streams),
    }
    for path, text in outputs.items():
        _write_if_changed(path, text)
    return list(outputs)


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except FileNotFoundError:
        pass
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)
