"""How to start a worker for a step file, per language."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from stephost.errors import WorkerUnavailable

# The repository layout puts sdk_node and sdk_ruby beside host/; an installed copy can point elsewhere.
_DEFAULT_SDK_NODE = Path(__file__).resolve().parents[3] / "sdk_node"
_DEFAULT_SDK_RUBY = Path(__file__).resolve().parents[3] / "sdk_ruby"


def language_of(file: Path) -> str:
    suffix = file.suffix
    if suffix == ".py":
        return "python"
    if suffix == ".ts":
        return "typescript"
    if suffix == ".js":
        return "javascript"
    if suffix == ".rb":
        return "ruby"
    raise WorkerUnavailable(f"{file}: no worker for files ending in {suffix!r}")


@dataclass(frozen=True)
class LaunchSpec:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path


@dataclass(frozen=True)
class WorkerIdentity:
    worker_id: str
    secret: str
    socket_path: str


def sdk_node_dir() -> Path:
    return Path(os.environ.get("STEPHOST_SDK_NODE", _DEFAULT_SDK_NODE))


def sdk_ruby_dir() -> Path:
    return Path(os.environ.get("STEPHOST_SDK_RUBY", _DEFAULT_SDK_RUBY))


def launch_spec(
    file: Path, project: Path, identity: WorkerIdentity, base_env: dict[str, str], prefix: tuple[str, ...] = ()
) -> LaunchSpec:
    """The command, environment and working directory of the worker for `file`."""
    language = language_of(file)
    env = dict(base_env)
    env.update(
        {
            "STEPHOST_SOCKET": identity.socket_path,
            "STEPHOST_WORKER_ID": identity.worker_id,
            "STEPHOST_WORKER_SECRET": identity.secret,
            "STEPHOST_STEP_FILE": str(file),
            "STEPHOST_PROJECT_ROOT": str(project),
        }
    )
    if language == "python":
        # Unbuffered so a step's print() reaches the log at once, even if it crashes next.
        env["PYTHONUNBUFFERED"] = "1"
        return LaunchSpec((*prefix, sys.executable, "-m", "stephost_sdk.worker"), env, project)
    if language == "ruby":
        ruby = shutil.which("ruby")
        if ruby is None:
            raise WorkerUnavailable(
                f"{file}: 'ruby' is not on PATH; it is needed to run Ruby steps (apt-get install ruby ruby-grpc)"
            )
        entry = sdk_ruby_dir() / "bin" / "stephost-ruby-worker"
        return LaunchSpec((*prefix, ruby, str(entry)), env, project)
    node = shutil.which("node")
    if node is None:
        raise WorkerUnavailable(f"{file}: 'node' is not on PATH; it is needed to run TypeScript/JavaScript steps")
    entry = sdk_node_dir() / "dist" / "worker.js"
    if not entry.exists():
        raise WorkerUnavailable(
            f"{file}: the Node worker runtime is not built ({entry} is missing); run `npm ci` in {entry.parents[1]}"
        )
    return LaunchSpec((*prefix, node, "--enable-source-maps", str(entry)), env, project)
