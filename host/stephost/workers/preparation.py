"""What every worker of a project starts with: its environment and its isolation layers.

Worked out once when the host loads (and reused for every worker `dev` starts later):
the environment from `.env` and the allow-list, and the command prefix of the isolation
layers stephost.json asks for, each tried once on this machine first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from stephost.errors import ConfigProblem
from stephost.logs import host_record
from stephost.settings import ProjectSettings
from stephost.types import LogSink
from stephost.workers.environment import DotEnvError, worker_environment
from stephost.workers.isolation import check as isolation_check
from stephost.workers.isolation import command_prefix as isolation_prefix


@dataclass
class Launch:
    env: dict[str, str]
    prefix: tuple[str, ...] = ()
    problems: list[ConfigProblem] = field(default_factory=list)


def prepare_launch(
    project: Path, settings: ProjectSettings, socket_dir: Path, languages: set[str], log: LogSink
) -> Launch:
    """The environment and command prefix of the project's workers, and what is wrong with them."""
    problems: list[ConfigProblem] = []
    isolation = settings.isolation
    prefix: tuple[str, ...] = ()
    # With a read-only file system, the project and this scratch directory (their TMPDIR) stay writable.
    scratch = socket_dir / "scratch"
    writable = (project, scratch)
    if isolation.requested:
        scratch.mkdir(exist_ok=True)
        scratch.chmod(0o1777)  # like /tmp: workers may run as another user
        refused = isolation_check(isolation, languages, writable)
        for reason in refused:
            problems.append(ConfigProblem("stephost.json", None, "isolation", reason))
        if refused:
            log(host_record("warn", "isolation requested but unavailable; workers run without it"))
        else:
            prefix = isolation_prefix(isolation, writable)
            log(host_record("info", f"worker isolation active: {' '.join(prefix)}"))
            # A worker under another user must still reach the socket (its secret is what guards it).
            os.chmod(socket_dir, 0o711)
    try:
        env = worker_environment(project, settings.env_allow)
    except DotEnvError as exc:
        problems.append(ConfigProblem(".env", None, None, str(exc)))
        env = worker_environment(project / ".no-dotenv", settings.env_allow)
    if isolation.read_only_fs:
        env["TMPDIR"] = str(scratch)
    return Launch(env, prefix, problems)
