"""What the Node worker does around loading a step, seen from the step and from outside.

- It hides `WebAssembly` from its own packages while they load (sdk_node/src/wasm-deferred.ts):
  a step must find it back, with the property attributes of a plain `node`.
- It has esbuild compile without a long-lived service (loader.ts registerCjsLoader): no
  `esbuild --service` child idles (or lingers as a zombie) beside a worker that compiled its
  step, and a TypeScript file a handler requires later still compiles.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import httpx
import psutil

from stephost.testing import HostProcess

PROJECT = Path(__file__).parent / "projects" / "node_wasm"


def test_a_step_has_webassembly_at_load_time_and_in_its_handler() -> None:
    plain = subprocess.run(
        [
            "node",
            "-e",
            "const d = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly');"
            "const { writable, enumerable, configurable } = d;"
            "console.log(JSON.stringify({ writable, enumerable, configurable }))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    with HostProcess(PROJECT) as host:
        response = httpx.get(f"{host.url}/wasm", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "atLoad": {"type": "object", "sum": 5},
        "inHandler": {"type": "object", "sum": 42},
        "descriptor": json.loads(plain.stdout),
    }


def esbuild_children(pid: int) -> list[int]:
    """Its esbuild children, zombies included (a zombie has no command line: it goes by name)."""
    return [c.pid for c in psutil.Process(pid).children(recursive=True) if c.name() == "esbuild"]


def test_no_compiler_stays_behind_and_a_late_require_still_compiles(tmp_path: Path) -> None:
    # Fresh sources (a token tsx has never seen), so both files miss its cache and need esbuild.
    token = uuid.uuid4().hex
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "late.step.ts").write_text(
        f"""
const loadedWith: string = '{token}'

export const config = {{ type: 'api', name: 'Late', path: '/late', method: 'GET', emits: [] }}

export const handler = async () => {{
  // Required only now, long after the step loaded.
  const {{ shout }} = require('./helper') as {{ shout: (text: string) => string }}
  return {{ status: 200, body: {{ loadedWith, late: shout('{token}') }} }}
}}
"""
    )
    (tmp_path / "steps" / "helper.ts").write_text(
        f"export const shout = (text: string): string => `${{text.toUpperCase()}}!` // {token}\n"
    )
    with HostProcess(tmp_path) as host:
        pid = host.worker_pids()["Late"]
        assert esbuild_children(pid) == []
        response = httpx.get(f"{host.url}/late", timeout=20)
        assert response.status_code == 200, response.text
        assert response.json() == {"loadedWith": token, "late": f"{token.upper()}!"}
