"""`stephost types`: generated from real workers' configs, then checked by tsc and mypy --strict.

The fixture (projects/typed) mixes TS steps with zod schemas, JS steps, and Python
steps with Pydantic models and plain JSON Schema; its TS steps are typed with
`Handlers['X']` and its Python steps annotate their handlers with the stubs. The
negative files under typecheck/ must fail, naming what is wrong: proof the types are
neither `any` nor `never`.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from stephost.config import StepDefinition, parse_step_config
from stephost.registry import build_registry
from stephost.streams.service import StreamDefinition
from stephost.testing import HostProcess, wait_for
from stephost.typegen import write_types

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = Path(__file__).parent / "projects"
TSC = ROOT / "sdk_node" / "node_modules" / ".bin" / "tsc"
ZOD = ROOT / "sdk_node" / "node_modules" / "zod"
STEP_AND_STREAM_FILES = 13  # in projects/typed: 11 steps (one noop) and 2 streams


@dataclass
class TypesRun:
    returncode: int
    stdout: str
    stderr: str
    worker_pids: set[int]  # every process the command started, seen while it ran


def run_types(project: Path, timeout_s: float = 120) -> TypesRun:
    """Run `stephost types` and watch its children, to check afterwards that none outlived it."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "stephost.cli", "types", str(project)], stdout=out, stderr=err)
        seen: set[int] = set()
        deadline = time.monotonic() + timeout_s
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise AssertionError(f"stephost types did not finish within {timeout_s} s")
            with contextlib.suppress(psutil.NoSuchProcess):
                seen.update(c.pid for c in psutil.Process(proc.pid).children(recursive=True))
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        return TypesRun(proc.returncode, out.read(), err.read(), seen)


def leftover_workers(run: TypesRun, project: Path) -> list[int]:
    """Processes still alive that the run started, or that run a worker for `project`."""
    alive = {pid for pid in run.worker_pids if _alive(pid)}
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("STEPHOST_PROJECT_ROOT") == str(project) and _alive(proc.pid):
                alive.add(proc.pid)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return sorted(alive)


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def checked(args: list[str], cwd: Path, timeout_s: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)


def tsc(project: Path, config: str = "tsconfig.json") -> subprocess.CompletedProcess[str]:
    return checked([str(TSC), "-p", config], project)


def mypy_strict(project: Path, *files: str) -> subprocess.CompletedProcess[str]:
    cache = project.parent / ".mypy_cache"
    return checked([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *files], project)


@dataclass
class Typed:
    project: Path
    run: TypesRun


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Typed]:
    project = tmp_path_factory.mktemp("typed") / "typed"
    shutil.copytree(PROJECTS / "typed", project, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    # The project's own zod, as after `npm install` (tsc needs its declarations).
    (project / "node_modules").mkdir()
    (project / "node_modules" / "zod").symlink_to(ZOD, target_is_directory=True)
    yield Typed(project, run_types(project))


def test_types_writes_both_files_and_stops_every_worker_it_started(typed: Typed) -> None:
    run = typed.run
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"wrote {typed.project / 'types.d.ts'}" in run.stdout
    assert f"wrote {typed.project / 'stephost_types.py'}" in run.stdout
    assert len(run.worker_pids) >= STEP_AND_STREAM_FILES, "a worker per step and stream file was expected"
    assert leftover_workers(run, typed.project) == []
    assert not (typed.project / ".stephost").exists()  # memory storage: nothing on disk


def test_typescript_steps_typed_with_the_generated_handlers_compile(typed: Typed) -> None:
    result = tsc(typed.project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_emit_payload_fails_tsc_naming_the_field(typed: Typed) -> None:
    (typed.project / "tsconfig.wrong_payload.json").write_text(
        '{"extends": "./tsconfig.json", "include": ["types.d.ts", "typecheck/wrong_payload.ts"]}'
    )
    result = tsc(typed.project, "tsconfig.wrong_payload.json")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "typecheck/wrong_payload.ts(5," in out
    assert "Types of property 'orderId' are incompatible" in out
    assert "Type 'number' is not assignable to type 'string'" in out


def test_an_undeclared_topic_fails_tsc_naming_it(typed: Typed) -> None:
    (typed.project / "tsconfig.undeclared.json").write_text(
        '{"extends": "./tsconfig.json", "include": ["types.d.ts", "typecheck/undeclared_topic.ts"]}'
    )
    result = tsc(typed.project, "tsconfig.undeclared.json")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert """Type '"order.shipped"' is not assignable to type '"order.created" | "order.audit"'""" in out


def test_python_steps_annotated_with_the_stubs_pass_mypy_strict(typed: Typed) -> None:
    steps = sorted(str(p.relative_to(typed.project)) for p in (typed.project / "steps").rglob("*.py"))
    assert len(steps) == 5
    result = mypy_strict(typed.project, "stephost_types.py", *steps, "typecheck/usage.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_python_payload_and_an_undeclared_topic_fail_mypy(typed: Typed) -> None:
    result = mypy_strict(typed.project, "stephost_types.py", "typecheck/wrong_payload.py")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    errors: dict[str, str] = {}
    for line in out.splitlines():
        if ": error: " in line:
            number = line.split(": error: ")[0].rsplit(":", 1)[1]
            errors[number] = errors.get(number, "") + line
    # Line 9: a channel the subscriber's input does not allow; line 10: a topic NotifyOrder does not emit.
    assert "'fax'" in errors["9"] and '"channel"' in errors["9"], out
    assert "'order.shipped'" in errors["10"] and "'order.notified'" in errors["10"], out


def test_the_python_stubs_import_at_runtime(typed: Typed) -> None:
    result = checked([sys.executable, "-c", "import stephost_types as t; print(t.CreateOrderHandler)"], typed.project)
    assert result.returncode == 0, result.stderr


def test_the_typed_project_runs_with_its_generated_files_beside_it(typed: Typed) -> None:
    with HostProcess(typed.project, mode="start") as host:
        r = httpx.post(
            host.url + "/shops/s1/orders",
            json={
                "customer": {"name": "Ada", "email": "ada@example.com"},
                "items": [{"sku": "a", "qty": 2}],
                "note": None,
            },
            timeout=30,
        )
        assert r.status_code == 201, r.text
        order = r.json()
        assert order["total"] == 20
        # OrderAnalytics (TS, subscriber of order.created) writes the order's status to the stream.
        got = wait_for(lambda: (resp := httpx.get(f"{host.url}/orders/{order['id']}")).status_code == 200 and resp)
        assert got.json() == {"id": order["id"], "status": "placed", "total": 20}
        r = httpx.post(host.url + "/refunds", json={"orderId": order["id"], "reason": "late"}, timeout=30)
        assert (r.status_code, r.json()) == (202, {"queued": True})
        assert httpx.post(host.url + "/refunds", json={"orderId": 1, "reason": "bored"}).status_code == 400


def test_types_refuses_an_invalid_project_lists_its_problems_and_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "invalid"
    shutil.copytree(
        PROJECTS / "invalid", project, ignore=shutil.ignore_patterns("__pycache__", "types.d.ts", "stephost_types.py")
    )
    run = run_types(project)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "problem(s) in the project's steps; no types written" in run.stderr
    assert "steps/unknown_key.step.ts (step 'UnknownKey') field 'bodySchemaa'" in run.stderr
    assert "steps/broken_syntax_step.py" in run.stderr
    assert not (project / "types.d.ts").exists() and not (project / "stephost_types.py").exists()
    assert leftover_workers(run, project) == []


def test_types_of_a_missing_folder_is_a_usage_error() -> None:
    run = run_types(Path("/no/such/project"))
    assert run.returncode == 2
    assert "/no/such/project is not a folder" in run.stderr


AWKWARD_CONFIGS = [
    {
        "type": "api",
        "name": "create-order",
        "path": "/files/*",
        "method": "PUT",
        "emits": ["it's.done"],
        "bodySchema": {
            "type": "object",
            "properties": {
                "from": {"type": "string"},
                "first-name": {"type": "string"},
                "list": {"type": "array", "items": {"$ref": "#/definitions/Entry"}},
            },
            "required": ["from"],
            "definitions": {"Entry": {"type": "object", "properties": {"class": {"type": "integer"}}}},
        },
    },
    {
        "type": "event",
        "name": "2nd step",
        "subscribes": ["it's.done"],
        "input": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {"n": {"type": "number"}}}]},
    },
]


def test_generated_files_for_awkward_names_compile_and_pass_mypy(tmp_path: Path) -> None:
    steps = []
    for config in AWKWARD_CONFIGS:
        step = parse_step_config(config, file="steps/odd.step.ts", language="typescript")
        assert isinstance(step, StepDefinition), step
        steps.append(step)
    registry, _ = build_registry(steps)
    write_types(tmp_path, registry, {"chat-room": StreamDefinition("chat-room", "steps/chat.stream.ts", None)})
    (tmp_path / "use.ts").write_text(
        "import type { Handlers } from 'motia'\n"
        "export const h: Handlers['create-order'] = async (req, { emit, streams }) => {\n"
        "  const wild: string | undefined = req.pathParams['0']\n"
        '  await emit({ topic: "it\'s.done", data: req.body.from })\n'
        "  await streams['chat-room'].set('g', 'i', { any: 'thing' })\n"
        "  return { status: 200, body: { from: req.body.from, n: req.body.list?.[0]?.class, wild } }\n"
        "}\n"
        "export const e: Handlers['2nd step'] = (input) => { if (typeof input !== 'string') void input.n }\n"
    )
    (tmp_path / "tsconfig.json").write_text(
        '{"compilerOptions": {"strict": true, "noEmit": true, "target": "ES2022", "module": "ESNext",'
        ' "moduleResolution": "Bundler", "types": [], "skipLibCheck": false}, "include": ["types.d.ts", "use.ts"]}'
    )
    result = tsc(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "use.py").write_text(
        "from stephost_types import CreateOrderContext, CreateOrderRequest, N2ndStepInput\n\n\n"
        "async def h(req: CreateOrderRequest, context: CreateOrderContext) -> None:\n"
        "    entries = req['body'].get('list', [])\n"
        "    await context.emit({'topic': \"it's.done\", 'data': {'n': float(len(entries))}})\n"
        "    await context.streams['chat-room'].set('g', 'i', {'any': req['body']['from']})\n\n\n"
        "def e(input: N2ndStepInput) -> str:\n"
        "    return input if isinstance(input, str) else str(input.get('n'))\n"
    )
    result = mypy_strict(tmp_path, "stephost_types.py", "use.py")
    assert result.returncode == 0, result.stdout + result.stderr
    result = checked([sys.executable, "-c", "import stephost_types"], tmp_path)
    assert result.returncode == 0, result.stderr
