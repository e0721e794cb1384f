"""Types for step code, generated from the step configs: `stephost types [DIR]`.

`write_types(project, registry, streams)` writes `types.d.ts` (the module `motia`,
with `Handlers['StepName']`) and `stephost_types.py` (TypedDicts and Protocols) at the
project root, from a loaded host's registry and streams; `dev` can call it after each
reload. `render_typescript` / `render_python` return the texts without writing.
"""

from stephost.typegen.py_stubs import render_python
from stephost.typegen.ts_declarations import render_typescript
from stephost.typegen.writer import PY_FILE, TS_FILE, write_types

__all__ = ["PY_FILE", "TS_FILE", "render_python", "render_typescript", "write_types"]
