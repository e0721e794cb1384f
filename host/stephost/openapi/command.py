"""`stephost openapi [DIR] -o FILE`: the document of a project's api steps, without serving it.

The steps are loaded exactly as `stephost start` loads them (a host starts every step's
worker and reads each config from its Hello), so the file matches what a host serves;
then every worker is stopped. Nothing is stored: the host runs on memory storage.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from stephost.app import Host
from stephost.errors import ConfigProblem
from stephost.host_settings import HostSettings
from stephost.logs import ConsoleLogSink, host_record, route_host_logging
from stephost.openapi.document import openapi_document, project_info
from stephost.types import LogSink

# The exit codes of `stephost start` (cli.py) for the same failures.
EXIT_INVALID_STEPS = 1
EXIT_USAGE = 2


async def load_document(project: Path, log_sink: LogSink) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Load the project's steps in a host that serves nothing; return the document and every problem.

    Every worker the host started is stopped before this returns, whatever happened.
    """
    host = Host(HostSettings(project=project, mode="start", storage="memory"), log_sink)
    try:
        problems = await host.load()
        return openapi_document(host.registry.steps.values(), project_info(host.project)), problems
    finally:
        await host.close()


def run_openapi_command(project: Path, output: str) -> int:
    """Write the document to `output` ("-": standard output); invalid steps are listed and nothing is written."""
    # Logs go to stderr, so the document alone can go to stdout; only warnings and errors.
    sink = ConsoleLogSink(min_level="warn", out=sys.stderr)
    route_host_logging(sink)
    if not project.is_dir():
        print(f"stephost: {project} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    document, problems = asyncio.run(load_document(project, sink))
    if problems:
        sink(host_record("error", f"{len(problems)} problem(s) in the project's steps:"))
        for problem in problems:
            sink(host_record("error", f"  {problem}"))
        sink(host_record("error", "no OpenAPI document written: fix the steps above"))
        return EXIT_INVALID_STEPS
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"stephost: cannot write {output}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return 0
