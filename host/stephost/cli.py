"""`stephost start|dev [DIR]`: argument parsing and exit codes only."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from stephost.app import Host
from stephost.dlq_cli import run_dlq_command
from stephost.errors import PortInUse, StorageUnavailable
from stephost.host_settings import HostSettings, check_port_free
from stephost.logs import ConsoleLogSink, host_record, route_host_logging
from stephost.openapi.command import run_openapi_command
from stephost.scaffold import TEMPLATES
from stephost.scaffold.command import run_create_command
from stephost.settings import load_project_settings
from stephost.status_cli import run_status_command
from stephost.storage import choose_storage
from stephost.typegen.command import run_types_command

EXIT_INVALID_STEPS = 1
EXIT_USAGE = 2
EXIT_PORT_IN_USE = 3
EXIT_STORAGE_UNAVAILABLE = 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stephost", description="Run a step-based backend.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("start", "serve a project; refuse to start when any step is invalid"),
        ("dev", "serve a project for development; invalid steps are reported, valid ones run"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("dir", nargs="?", default=".", help="the project folder (default: .)")
        cmd.add_argument("-p", "--port", type=int, default=3000, help="HTTP port (default 3000)")
        cmd.add_argument("-H", "--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
        cmd.add_argument(
            "--log-format",
            choices=("pretty", "json"),
            default=None,
            help="pretty: colored lines for people (default in dev); json: one object per line (default in start)",
        )
        cmd.add_argument("--log-level", choices=("debug", "info", "warn", "error"), default="info")
        cmd.add_argument("--body-limit", type=int, metavar="BYTES", help="largest request body (default 10 MiB)")
        cmd.add_argument(
            "--enable-emit-endpoint",
            action="store_true",
            default=None,
            help="serve POST /emit (on in dev; off in start since any caller could emit any topic)",
        )
        cmd.add_argument(
            "--enable-admin-api",
            action="store_true",
            default=None,
            help="serve /__stephost/dlq (on in dev; off in start since it shows event data)",
        )
        cmd.add_argument(
            "--enable-workbench",
            action="store_true",
            default=None,
            help="serve the Workbench at /__workbench (on in dev; off in start since it shows logs and event data)",
        )
        cmd.add_argument(
            "--cors-origin", action="append", metavar="ORIGIN", help="allowed CORS origin (repeatable; default *)"
        )
        cmd.add_argument(
            "--data-dir", type=Path, metavar="DIR", help="where state and queues are kept (default DIR/.stephost)"
        )
        cmd.add_argument(
            "--storage",
            choices=("sqlite", "memory"),
            default=None,
            help="sqlite: durable file in the data dir (default); memory: lost when the host stops",
        )
        cmd.add_argument(
            "--redis",
            metavar="URL",
            help="run state, events, streams and cron on this Redis, shared by every host "
            "(default: $STEPHOST_REDIS_URL, then stephost.json redis.url)",
        )
        cmd.add_argument(
            "--redis-prefix",
            metavar="NAME",
            help="the prefix of every Redis key (default: $STEPHOST_REDIS_PREFIX, stephost.json, 'stephost')",
        )
        cmd.add_argument("--no-cors", action="store_false", dest="cors", default=None, help="send no CORS headers")

    create = sub.add_parser("create", help="write a runnable starter project NAME/: steps, a test, a README")
    create.add_argument("name", help="the new project's folder name")
    create.add_argument("--template", choices=tuple(TEMPLATES), default="ts", help="the steps' language (default ts)")
    create.add_argument("--dir", type=Path, default=Path("."), metavar="PARENT", help="where NAME/ goes (default .)")

    status = sub.add_parser("status", help="show a running host's workers: pid, state, restarts, RSS, CPU")
    status.add_argument("-p", "--port", type=int, default=3000, help="the host's HTTP port (default 3000)")
    status.add_argument("-H", "--host", default="127.0.0.1", help="the host's address (default 127.0.0.1)")
    status.add_argument("--json", action="store_true", help="print JSON")

    openapi = sub.add_parser("openapi", help="write the OpenAPI 3.1 document of a project's api steps (serves nothing)")
    openapi.add_argument("dir", nargs="?", default=".", help="the project folder (default: .)")
    openapi.add_argument("-o", "--output", default="-", metavar="FILE", help="where to write it (default: stdout)")

    types = sub.add_parser("types", help="write types.d.ts and stephost_types.py from the project's step configs")
    types.add_argument("dir", nargs="?", default=".", help="the project folder (default: .)")

    conformance = sub.add_parser(
        "conformance", help="check a language worker against the protocol spec (docs/protocol.md), on fixture steps"
    )
    conformance.add_argument(
        "--worker", required=True, metavar="COMMAND", help="the worker's command, e.g. 'python -m stephost_sdk.worker'"
    )
    conformance.add_argument(
        "--fixtures", required=True, type=Path, metavar="DIR", help="the fixture steps in the worker's language"
    )
    conformance.add_argument("--json", type=Path, metavar="FILE", help="also write the outcomes as JSON")
    conformance.add_argument("--only", metavar="TEXT", help="run only the checks whose name holds TEXT")

    dlq = sub.add_parser("dlq", help="list, show, replay or purge dead-lettered events")
    dlq_actions = dlq.add_subparsers(dest="action", required=True)
    for action, help_text in (
        ("list", "list the dead letters"),
        ("show", "show one dead letter with its data and stack"),
        ("replay", "deliver a dead letter again (attempt 1)"),
        ("purge", "delete every dead letter"),
    ):
        cmd = dlq_actions.add_parser(action, help=help_text)
        if action in ("show", "replay"):
            cmd.add_argument("id", nargs="?" if action == "replay" else None, help="the dead letter's id")
        if action == "replay":
            cmd.add_argument("--all", action="store_true", help="replay every dead letter")
        if action == "list":
            cmd.add_argument("--json", action="store_true", help="print JSON")
        cmd.add_argument("--dir", default=".", help="the project folder (default: .)")
        cmd.add_argument("--data-dir", type=Path, metavar="DIR", help="the data dir (default DIR/.stephost)")
        cmd.add_argument("--redis", metavar="URL", help="use the dead letters of hosts sharing this Redis")
        cmd.add_argument("--redis-prefix", metavar="PREFIX", help="the hosts' Redis key prefix (default stephost)")
    return parser


async def _run(settings: HostSettings, sink: ConsoleLogSink) -> int:
    host = Host(settings, sink)
    # host.log: the console, plus the Workbench's log buffer when it is on
    route_host_logging(host.log)
    try:
        problems = await host.load()
    except StorageUnavailable as exc:
        sink(host_record("error", f"not starting: {exc.message}"))
        await host.close()
        return EXIT_STORAGE_UNAVAILABLE
    if problems:
        level = "error" if settings.mode == "start" else "warn"
        sink(host_record(level, f"{len(problems)} problem(s) in the project's steps:"))
        for problem in problems:
            sink(host_record(level, f"  {problem}"))
        if settings.mode == "start":
            sink(host_record("error", "not starting: fix the steps above (or use `stephost dev`)"))
            await host.close()
            return EXIT_INVALID_STEPS
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def wait_for_stop() -> None:
        await stop.wait()
        sink(host_record("info", "shutting down"))

    await host.serve(wait_for_stop)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "create":
        return run_create_command(args.name, args.template, args.dir)
    if args.command == "status":
        return run_status_command(args.host, args.port, args.json)
    if args.command == "conformance":
        # imported here: the driver is not part of serving a project
        from stephost.conformance.runner import run_conformance_command

        return run_conformance_command(args.worker, args.fixtures, args.json, args.only)
    project = Path(args.dir).resolve()
    if args.command == "openapi":
        return run_openapi_command(project, args.output)
    if args.command == "types":
        return run_types_command(project)
    if args.command == "dlq":
        data_dir = args.data_dir.resolve() if args.data_dir else project / ".stephost"
        # The same choice a host makes: --redis, then $STEPHOST_REDIS_URL, then stephost.json.
        project_settings, _ = load_project_settings(project)
        choice = choose_storage(None, args.redis, args.redis_prefix, project_settings.redis)
        return asyncio.run(run_dlq_command(args, data_dir, choice.redis_url, choice.redis_prefix))
    log_format = args.log_format or ("pretty" if args.command == "dev" else "json")
    sink = ConsoleLogSink(fmt=log_format, min_level=args.log_level)
    if not project.is_dir():
        print(f"stephost: {project} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    settings = HostSettings(
        project=project,
        port=args.port,
        bind=args.host,
        mode=args.command,
        body_limit=args.body_limit,
        emit_endpoint=args.enable_emit_endpoint,
        admin_api=args.enable_admin_api,
        workbench=args.enable_workbench,
        cors_origins=tuple(args.cors_origin) if args.cors_origin else None,
        cors_enabled=args.cors,
        data_dir=args.data_dir.resolve() if args.data_dir else None,
        storage=args.storage,
        redis_url=args.redis,
        redis_prefix=args.redis_prefix,
    )
    try:
        check_port_free(settings.bind, settings.port)
    except PortInUse as exc:
        print(f"stephost: {exc}; choose another with --port", file=sys.stderr)
        return EXIT_PORT_IN_USE
    return asyncio.run(_run(settings, sink))


if __name__ == "__main__":
    sys.exit(main())
