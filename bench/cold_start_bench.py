"""Cold start: wall time from spawning `stephost start` on a 20-step mixed project until every
api route answers 200, beside a bare Quart + Hypercorn app from spawn to its first 200.

Usage: python bench/cold_start_bench.py [--rounds 3] [--timeout 60]

The project is generated in a temp dir: 10 Python api steps, 6 TypeScript api steps (each at
its own path), 2 Python event steps, 1 TypeScript event step and 1 JavaScript cron step (that
never fires during a round). The host is started the way stephost.testing.HostProcess starts
it (`python -m stephost.cli start DIR --port P`), with a fresh data dir each round; the clock
starts just before the spawn, and every api route plus /__stephost/health is polled
concurrently every 10 ms from this process until each has answered 200. The time /health
first answered is shown too: the gap between it and the last route is the workers' doing.

Rounds alternate baseline and stephost; medians are printed and written, with every sample, to
bench/results/cold_start.json. Every process started is stopped by pid (SIGTERM, then SIGKILL
for anything that outlived its parent) and any such leftover is reported. tsx keeps its own
transform cache in the temp dir, so only a first-ever round compiles the TypeScript steps.
`run(args)` returns the summary row for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from stephost.testing import free_port

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import Figure, Target, descendants, stop_process  # noqa: E402

POLL_INTERVAL_S = 0.01
HEALTH = "/__stephost/health"

PY_API = """
config = {{"type": "api", "name": "PyApi{n}", "path": "/py/{n}", "method": "GET", "emits": [{emits}]}}


async def handler(req, context):
    return {{"status": 200, "body": {{"n": {n}}}}}
"""

TS_API = """
export const config = {{ type: 'api', name: 'TsApi{n}', path: '/ts/{n}', method: 'GET', emits: [{emits}] }}

export const handler = async () => ({{ status: 200, body: {{ n: {n} }} }})
"""

PY_EVENT = """
config = {{"type": "event", "name": "PyEvent{n}", "subscribes": ["{topic}"], "emits": []}}


async def handler(data, context):
    await context.state.set("cold", "{n}", data)
"""

TS_EVENT = """
export const config = { type: 'event', name: 'TsEvent', subscribes: ['cold.ts'], emits: [] }

export const handler = async (data: unknown, ctx: { logger: { info: (m: string) => void } }) => {
  ctx.logger.info('got one')
}
"""

JS_CRON = """
// Once a year: present at start-up, never firing during a round.
export const config = { type: 'cron', name: 'JsCron', cron: '0 0 1 1 *', emits: [] }

export const handler = async () => {}
"""


def write_project(root: Path) -> list[str]:
    """The 20 steps under root/steps; returns the api paths."""
    steps = root / "steps"
    steps.mkdir(parents=True)
    paths: list[str] = []
    for n in range(10):
        # One emitting step per language, so the event steps sit in a real flow.
        (steps / f"py_api_{n}_step.py").write_text(PY_API.format(n=n, emits='"cold.py"' if n == 0 else ""))
        paths.append(f"/py/{n}")
    for n in range(6):
        (steps / f"ts_api_{n}.step.ts").write_text(TS_API.format(n=n, emits="'cold.ts'" if n == 0 else ""))
        paths.append(f"/ts/{n}")
    for n, topic in enumerate(("cold.py", "cold.ts")):
        (steps / f"py_event_{n}_step.py").write_text(PY_EVENT.format(n=n, topic=topic))
    (steps / "ts_event.step.ts").write_text(TS_EVENT)
    (steps / "js_cron.step.js").write_text(JS_CRON)
    (root / "package.json").write_text('{"name": "cold-start-bench", "private": true, "type": "module"}\n')
    return paths


@dataclass
class Start:
    """One spawn: seconds from spawn to each URL's first 200, and the stop that followed."""

    first_ok_s: dict[str, float]
    stop_s: float = 0.0
    leftovers: list[int] = field(default_factory=list)

    @property
    def all_ok_s(self) -> float:
        return max(self.first_ok_s.values())


async def poll_until_ok(
    client: httpx.AsyncClient, urls: list[str], proc: subprocess.Popen[bytes], t0: float, timeout_s: float
) -> dict[str, float]:
    """Seconds since t0 at which each URL first answered 200; fails if `proc` exits first."""
    first_ok: dict[str, float] = {}

    async def one(url: str) -> None:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    first_ok[url] = time.monotonic() - t0
                    return
            except httpx.TransportError:
                pass  # not listening yet, or a connection dropped while it starts
            await asyncio.sleep(POLL_INTERVAL_S)

    async def watch() -> None:
        while proc.poll() is None:
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} during start-up")

    pollers: asyncio.Future[Any] = asyncio.gather(*(one(u) for u in urls))
    watcher: asyncio.Future[Any] = asyncio.ensure_future(watch())
    try:
        done, _ = await asyncio.wait({pollers, watcher}, timeout=timeout_s, return_when="FIRST_COMPLETED")
        if watcher in done:
            watcher.result()
        if pollers not in done:
            missing = sorted(set(urls) - set(first_ok))
            raise RuntimeError(f"not every route answered 200 within {timeout_s} s; missing: {missing}")
        return first_ok
    finally:
        pollers.cancel()
        watcher.cancel()
        await asyncio.gather(pollers, watcher, return_exceptions=True)


def measure(cmd: list[str], urls: list[str], timeout_s: float, log: Path) -> Start:
    async def go() -> tuple[subprocess.Popen[bytes], dict[str, float] | BaseException, list[psutil.Process]]:
        # The client exists before the clock starts: its set-up is not the server's start-up.
        async with httpx.AsyncClient(timeout=5) as client:
            with log.open("wb") as out:
                t0 = time.monotonic()
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
            try:
                first_ok: dict[str, float] | BaseException = await poll_until_ok(client, urls, proc, t0, timeout_s)
            except Exception as exc:  # stop the process below before failing
                first_ok = exc
            return proc, first_ok, descendants(proc.pid)

    proc, first_ok, children = asyncio.run(go())
    stop_started = time.monotonic()
    leftovers = stop_process(proc, children)
    stop_s = time.monotonic() - stop_started
    if isinstance(first_ok, BaseException):
        tail = log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{first_ok}\n--- output of {cmd[:4]} ---\n{tail}") from first_ok
    return Start(first_ok, stop_s, leftovers)


def host_command(project: Path, port: int, data_dir: Path) -> list[str]:
    # Same launch as stephost.testing.HostProcess.command(), so the figure matches what tests see.
    return [
        sys.executable,
        "-m",
        "stephost.cli",
        "start",
        str(project),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warn",
    ]


def one_round(project: Path, paths: list[str], timeout_s: float, scratch: Path, n: int) -> tuple[Start, Start]:
    port = free_port()
    bare = measure(
        [sys.executable, str(HERE / "baseline_quart.py"), "--port", str(port)],
        [f"http://127.0.0.1:{port}/ok"],
        timeout_s,
        scratch / f"baseline-{n}.log",
    )
    port = free_port()
    data_dir = scratch / f"data-{n}"
    urls = [f"http://127.0.0.1:{port}{p}" for p in (HEALTH, *paths)]
    host = measure(host_command(project, port, data_dir), urls, timeout_s, scratch / f"host-{n}.log")
    shutil.rmtree(data_dir, ignore_errors=True)
    return bare, host


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="cold start of a 20-step mixed project vs bare Quart")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0, help="give up on a start after this many seconds")
    return parser


def run(args: argparse.Namespace) -> list[Figure]:
    """Measure, print the detailed table, write bench/results/cold_start.json; return the summary row."""
    scratch = Path(tempfile.mkdtemp(prefix="stephost-cold-bench-"))
    project = scratch / "project"
    try:
        paths = write_project(project)
        rounds = [one_round(project, paths, args.timeout, scratch, n) for n in range(args.rounds)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def health_s(s: Start) -> float:
        return next(t for url, t in s.first_ok_s.items() if url.endswith(HEALTH))

    bare_s = statistics.median(b.all_ok_s for b, _ in rounds)
    host_s = statistics.median(h.all_ok_s for _, h in rounds)
    leftovers = [pid for b, h in rounds for pid in (*b.leftovers, *h.leftovers)]
    mix = "10 py api, 6 ts api, 2 py event, ts event, js cron"
    print(f"\ncold start, 20-step mixed project ({mix}), {args.rounds} round(s)")
    print(
        f"{'round':<6} {'bare first 200 s':>17} {'host /health s':>15} {'host all api 200 s':>19} {'host stop s':>12}"
    )
    for n, (b, h) in enumerate(rounds):
        print(f"{n:<6} {b.all_ok_s:>17.3f} {health_s(h):>15.3f} {h.all_ok_s:>19.3f} {h.stop_s:>12.3f}")
    print(f"{'median':<6} {bare_s:>17.3f} {statistics.median(health_s(h) for _, h in rounds):>15.3f} {host_s:>19.3f}")
    if leftovers:
        print(f"warning: processes outlived their parent and were killed: {leftovers}")
    results: dict[str, Any] = {
        "settings": vars(args),
        "median_s": {"bare": bare_s, "stephost": host_s},
        "rounds": [
            {"bare": vars(b), "stephost": vars(h) | {"health_s": health_s(h), "all_ok_s": h.all_ok_s}}
            for b, h in rounds
        ],
        "leftovers": leftovers,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "cold_start.json").write_text(json.dumps(results, indent=2))
    return [Figure("cold start, 20-step mixed project", host_s, bare_s, "s", Target.maximum(2.0))]


def main() -> int:
    run(parser().parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
