"""`stephost types [DIR]`: load the project like a host does, write its types, stop every worker."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from stephost.app import Host
from stephost.host_settings import HostSettings
from stephost.logs import ConsoleLogSink, host_record
from stephost.typegen.writer import write_types

EXIT_OK = 0
EXIT_INVALID_STEPS = 1
EXIT_USAGE = 2


def run_types_command(project: Path) -> int:
    """Write the types of the project at `project`; the exit code of `stephost types`."""
    project = project.resolve()
    if not project.is_dir():
        print(f"stephost: {project} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    # Host start-up chatter is noise here; warnings and a step's load errors still show.
    sink = ConsoleLogSink(min_level="warn", out=sys.stderr)
    return asyncio.run(_generate(project, sink))


async def _generate(project: Path, sink: ConsoleLogSink) -> int:
    # Memory storage: reading configs must not create `.stephost/` or need Redis.
    host = Host(HostSettings(project=project, storage="memory"), sink)
    try:
        problems = await host.load()
        if problems:
            # Like `start`: a half-typed project would hide the broken step's types.
            sink(host_record("error", f"{len(problems)} problem(s) in the project's steps; no types written:"))
            for problem in problems:
                sink(host_record("error", f"  {problem}"))
            return EXIT_INVALID_STEPS
        written = write_types(project, host.registry, host.streams)
    finally:
        await host.close()
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK
