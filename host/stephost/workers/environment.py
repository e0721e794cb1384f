"""What a worker may see of the environment: a few basics, the project's `.env`, and an allow-list.

Never the host's own variables (a Redis URL and its password, tokens, cloud keys): a step
is code the host does not fully trust.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from pathlib import Path

# Enough for interpreters, locales and temp files to behave; nothing secret.
BASE_KEYS = ("PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM", "USER", "LOGNAME")

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class DotEnvError(ValueError):
    """Raised when a `.env` line cannot be read; the message names the file and line."""


def parse_dotenv(text: str, source: str = ".env") -> dict[str, str]:
    """KEY=value lines; `#` comments; optional `export`; single quotes literal, double quotes with \\n escapes."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise DotEnvError(f"{source}:{number}: expected KEY=value, got {line.strip()!r}")
        key, raw = match.groups()
        if len(raw) >= 2 and raw[0] == raw[-1] == "'":
            value = raw[1:-1]
        elif len(raw) >= 2 and raw[0] == raw[-1] == '"':
            value = raw[1:-1].replace("\\n", "\n").replace('\\"', '"')
        else:
            value = raw.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def worker_environment(
    project: Path, allow: tuple[str, ...], host_env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables every worker of `project` starts with (before the STEPHOST_* ones)."""
    source = os.environ if host_env is None else host_env
    env = {k: source[k] for k in BASE_KEYS if k in source}
    for key, value in source.items():
        if any(fnmatch.fnmatchcase(key, pattern) for pattern in allow):
            env[key] = value
    dotenv = project / ".env"
    if dotenv.is_file():
        env.update(parse_dotenv(dotenv.read_text(), str(dotenv.relative_to(project))))
    return env
