"""The worker process: `python -m stephost_sdk.worker`.

Reads its settings from the environment the host sets (docs/protocol.md section
1), loads the step file, dials the host and serves until Drain. Exit codes:

  0  drained on the host's request
  1  the step file could not be loaded (LoadFailure was sent)
  2  a required environment variable is missing (started by hand, not by a host)
  3  the host's socket cannot be reached, or the host ended the stream
  4  an internal error of the SDK (the traceback is on stderr)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sys
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from . import __version__, wire
from .config import ConfigError, SerialisedConfig, serialise_config
from .connection import Connection
from .errors import LOAD_ERROR, HostUnreachableError, LoadError
from .loader import LoadedStep, load_step, source_files
from .messages import ErrorInfo
from .session import EXIT_CONNECTION_LOST, Session

SDK_NAME: Final = "stephost-python"
SDK_VERSION: Final = __version__
CAPABILITIES: Final = {"cancel": "1", "batch": "1"}

EXIT_LOAD_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERNAL: Final = 4
# Plain handlers and middleware run in these threads. A plain middleware blocks
# its thread while `next()` runs the rest of the chain, so the pool must be
# larger than (concurrent invocations x plain middleware depth) to never starve;
# threads are only created when needed.
SYNC_THREADS: Final = 256
# How long exit waits for plain handlers still running in threads (cancelled
# invocations whose thread cannot be stopped) before leaving without them. Every
# invocation is answered by then, and the worker must be gone within 1 s of
# Drained (docs/protocol.md W-DRAIN-4, W-CANCEL-6), so this is short.
THREAD_EXIT_WAIT_S: Final = 0.2

_ENV_NAMES: Final = {
    "socket": "STEPHOST_SOCKET",
    "worker_id": "STEPHOST_WORKER_ID",
    "secret": "STEPHOST_WORKER_SECRET",
    "step_file": "STEPHOST_STEP_FILE",
    "project_root": "STEPHOST_PROJECT_ROOT",
}


@dataclass(frozen=True)
class WorkerEnv:
    """The settings the host passes in the environment."""

    socket: str
    worker_id: str
    secret: str
    step_file: Path
    project_root: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> WorkerEnv:
        """Read the settings; raises KeyError listing every missing variable."""
        missing = [name for name in _ENV_NAMES.values() if not environ.get(name)]
        if missing:
            raise KeyError(", ".join(missing))
        values = {field: environ[name] for field, name in _ENV_NAMES.items()}
        return cls(
            socket=values["socket"],
            worker_id=values["worker_id"],
            secret=values["secret"],
            step_file=Path(values["step_file"]),
            project_root=Path(values["project_root"]),
        )


def prepare(env: WorkerEnv) -> tuple[LoadedStep, SerialisedConfig] | ErrorInfo:
    """Load the step and serialise its config, or describe why that failed."""
    try:
        step = load_step(env.step_file, env.project_root)
        return step, serialise_config(step.config)
    except LoadError as exc:
        return ErrorInfo(exc.code, exc.message, exc.stack, type(exc).__name__)
    except ConfigError as exc:
        return ErrorInfo(LOAD_ERROR, f"{env.step_file}: {exc}", "", type(exc).__name__)


async def serve(env: WorkerEnv, executor: concurrent.futures.Executor) -> int:
    """Run the worker until it should exit; return the exit code."""
    # Loaded on the loop so that step modules creating asyncio objects at import
    # time bind them to the loop that will run their handlers.
    prepared = prepare(env)
    try:
        connection = await Connection.open(env.socket, env.secret)
    except HostUnreachableError as exc:
        _say(exc.message)
        if isinstance(prepared, ErrorInfo):
            _say(f"{prepared.code}: {prepared.message}")
        return EXIT_CONNECTION_LOST
    try:
        if isinstance(prepared, ErrorInfo):
            await _report_load_failure(connection, env.worker_id, prepared)
            return EXIT_LOAD_FAILURE
        step, config = prepared
        connection.send(
            wire.hello(
                env.worker_id,
                config.config_json,
                config.middleware_count,
                SDK_NAME,
                SDK_VERSION,
                dict(CAPABILITIES),
                step.functions,
                # Whatever the step (and its config's schemas) imported by now.
                source_files(step.file, env.project_root),
            )
        )
        return await Session(connection, step, config.middleware, executor).run()
    finally:
        await connection.aclose()


async def _report_load_failure(connection: Connection, worker_id: str, error: ErrorInfo) -> None:
    connection.send(wire.load_failure(worker_id, error))
    connection.close_writing()
    await connection.write_loop()

    # Closing the channel right after the write could drop the message; wait
    # (briefly) for the host to end the stream, which means it has read it.
    async def until_closed() -> None:
        async for _ in connection.events():
            pass

    # Timed out or the stream failed: either way there is nothing left to do.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(until_closed(), 5.0)


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run a worker from the environment; return its exit code."""
    try:
        env = WorkerEnv.from_environ(os.environ if environ is None else environ)
    except KeyError as exc:
        _say(f"missing environment variables: {exc.args[0]} (workers are started by the stephost host)")
        return EXIT_USAGE
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=SYNC_THREADS, thread_name_prefix="stephost-step")
    try:
        return asyncio.run(serve(env, executor))
    except KeyboardInterrupt:
        # Ctrl-C in a terminal reaches the whole process group; the host handles
        # it, so a worker leaves quietly.
        return 130
    except Exception:
        # A bug in the SDK itself (user code never raises this far). The host
        # restarts a worker that exits; the traceback tells us why it did.
        _say("internal error\n" + traceback.format_exc())
        return EXIT_INTERNAL
    finally:
        _stop_threads(executor)


def _stop_threads(executor: concurrent.futures.ThreadPoolExecutor) -> None:
    stopper = threading.Thread(target=executor.shutdown, kwargs={"wait": True, "cancel_futures": True}, daemon=True)
    stopper.start()
    stopper.join(THREAD_EXIT_WAIT_S)


def _exit(code: int) -> None:
    """Exit with `code`, even when a plain handler's thread is still running.

    Such a thread (an invocation cancelled mid-way) cannot be stopped, and the
    interpreter would wait for it forever at exit.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    stuck = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if stuck:
        os._exit(code)
    sys.exit(code)


def _say(message: str) -> None:
    print(f"stephost worker: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    _exit(main())
