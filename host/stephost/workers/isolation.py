"""Optional stronger isolation for workers (stephost.json `isolation`), where the machine allows.

- `network: false`: each worker runs in its own network namespace (`unshare --net`); it
  still reaches the host over the unix socket, while TCP and UDP go nowhere.
- `user: "nobody"`: workers run as that unprivileged user (`setpriv`).
- `filesystem: "readonly"`: each worker gets its own mount namespace in which everything
  outside the project (and a scratch directory that becomes its TMPDIR) is read-only
  (`unshare --mount` + readonly_root.py).

Each requested layer is tried once at start-up with a harmless command; one that cannot
work here is reported with the reason instead of being silently skipped.
"""

from __future__ import annotations

import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from stephost.workers.launch import sdk_node_dir, sdk_ruby_dir


@dataclass(frozen=True)
class Isolation:
    network: bool = True  # False: no network
    user: str | None = None
    read_only_fs: bool = False

    @property
    def requested(self) -> bool:
        return not self.network or self.user is not None or self.read_only_fs


READONLY_ROOT = Path(__file__).with_name("readonly_root.py")


def command_prefix(isolation: Isolation, writable: tuple[Path, ...] = ()) -> tuple[str, ...]:
    """What goes before a worker's command to apply the layers (`writable`: kept writable)."""
    prefix: list[str] = []
    namespaces = [*(["--net"] if not isolation.network else []), *(["--mount"] if isolation.read_only_fs else [])]
    if namespaces:
        prefix += ["unshare", *namespaces, *(["--propagation", "private"] if isolation.read_only_fs else []), "--"]
    if isolation.read_only_fs:
        # -I -S: no user site, no site-packages scan; the script needs only the stdlib.
        prefix += [sys.executable, "-I", "-S", str(READONLY_ROOT), *map(str, writable), "--"]
    if isolation.user is not None:
        entry = pwd.getpwnam(isolation.user)  # check() has made sure the user exists
        prefix += ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--"]
    return tuple(prefix)


def check(isolation: Isolation, languages: set[str], writable: tuple[Path, ...] = ()) -> list[str]:
    """Why a requested layer cannot work on this machine (empty: all good)."""
    problems: list[str] = []
    unshare_wanted = not isolation.network or isolation.read_only_fs
    for tool, wanted in (("unshare", unshare_wanted), ("setpriv", isolation.user is not None)):
        if wanted and shutil.which(tool) is None:
            problems.append(f"'{tool}' is not installed (util-linux)")
    if isolation.user is not None:
        try:
            pwd.getpwnam(isolation.user)
        except KeyError:
            problems.append(f"there is no user {isolation.user!r} on this machine")
    if problems:
        return problems
    # Each probe loads what a real worker loads, so unreadable files show up here, not later.
    python_probe: tuple[str, ...] = (sys.executable, "-c", "import stephost_sdk.worker")
    probes = [python_probe] if "python" in languages else []
    node = shutil.which("node")
    if languages & {"typescript", "javascript"} and node:
        entry = sdk_node_dir() / "dist" / "worker.js"
        probes.append((node, "-e", f"require('fs').accessSync({str(entry)!r}, require('fs').constants.R_OK)"))
    ruby = shutil.which("ruby")
    if "ruby" in languages and ruby:
        # grpc and google/protobuf are Debian's packages, outside the project and the SDK. The error is
        # rescued into one line: Ruby's own report ends in a backtrace, and only the last line is reported.
        entry = sdk_ruby_dir() / "bin" / "stephost-ruby-worker"
        load = 'require "grpc"; require "google/protobuf"; File.open(ARGV[0], &:getc)'
        rescue = 'rescue LoadError, SystemCallError => e; abort "#{e.class}: #{e.message}"'
        probes.append((ruby, "-e", f"begin; {load}; {rescue}; end", str(entry)))
    for probe in probes or [python_probe]:
        try:
            done = subprocess.run(
                [*command_prefix(isolation, writable), *probe], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"running {probe[0]} isolated failed: {exc}")
            continue
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            problems.append(
                f"running {probe[0]} isolated failed here: {reason[-1] if reason else f'exit {done.returncode}'}"
            )
    return problems
