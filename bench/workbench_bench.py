"""Does an open Workbench slow the api down? req/s of one api step with no Workbench client, and
with one connected (its WebSocket receiving the live log tail and a watched trace's events, as the page does).

Usage: python bench/workbench_bench.py [--seconds 5] [--rounds 3] [--connections 16]

The api step logs one line per request, so the open Workbench has something to stream. Load
comes from wrk when it is installed, else from an asyncio httpx client in a separate process.
Rounds alternate closed/open on the same host (ABBA order); the ratio is the median of the adjacent
pairs' ratios (the ratio of the two medians is printed beside it).
`run(args)` does the same for bench/run_all.py and returns the row of its summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import websockets

from stephost.testing import HostProcess

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import run_wrk  # noqa: E402
from common import Figure, Target  # noqa: E402

STEP = """
config = {"type": "api", "name": "Ok", "path": "/ok", "method": "GET", "emits": []}


async def handler(req, context):
    context.logger.info("served", {"n": 1})
    return {"status": 200, "body": {"ok": True}}
"""


def httpx_load(url: str, seconds: float, connections: int) -> float:
    """req/s from `connections` concurrent loops for `seconds` (run in its own process)."""

    async def run() -> int:
        done = 0
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections)) as client:

            async def loop() -> None:
                nonlocal done
                while time.monotonic() < deadline:
                    (await client.get(url)).raise_for_status()
                    done += 1

            await asyncio.gather(*(loop() for _ in range(connections)))
        return done

    return asyncio.run(run()) / seconds


def load(url: str, seconds: int, connections: int) -> float:
    if shutil.which("wrk"):
        return run_wrk(url, seconds, connections)["rps"]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return float(pool.apply(httpx_load, (url, seconds, connections)))


async def watching(host: HostProcess, seconds: int, connections: int) -> tuple[float, int]:
    """req/s while a Workbench client reads everything the host streams; and how many messages it got.

    Like the page with a trace open, the client watches a trace: one of the requests under load
    (the first it hears of), so that trace's events stream too.
    """
    received = 0
    async with websockets.connect(host.url.replace("http", "ws") + "/__workbench/ws", max_size=None) as ws:

        async def read() -> None:
            nonlocal received
            watched = False
            async for raw in ws:
                # The host gathers bursts into {"type": "batch", "messages": [...]} frames: count what is inside.
                frame = json.loads(raw)
                messages = frame["messages"] if frame.get("type") == "batch" else [frame]
                received += len(messages)
                traced = [m["record"]["traceId"] for m in messages if m["type"] == "log" and m["record"]["traceId"]]
                if traced and not watched and frame.get("type") == "batch":
                    await ws.send(json.dumps({"type": "watch", "traceId": traced[-1]}))
                    watched = True

        reader = asyncio.create_task(read())
        rps = await asyncio.to_thread(load, host.url + "/ok", seconds, connections)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    return rps, received


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="api req/s with the Workbench closed and open")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    return parser


def run(args: argparse.Namespace) -> list[Figure]:
    """Measure, print the detailed table, write bench/results/workbench.json; return the summary row."""
    project = Path(tempfile.mkdtemp(prefix="stephost-workbench-bench-"))
    (project / "steps").mkdir()
    (project / "steps" / "ok_step.py").write_text(STEP)
    closed: list[float] = []
    opened: list[float] = []
    # The host's CPU time per request on each side: req/s on a shared 2-core machine moves by a
    # few percent from one round to the next, the host's own cost per request much less.
    cpu_us: dict[str, list[float]] = {"closed": [], "open": []}
    # This process's CPU per round (the open side's WebSocket client reads and parses what the
    # host streams, on the same two cores as the host, its worker and wrk).
    client_cpu_pct: dict[str, list[float]] = {"closed": [], "open": []}
    this_process = psutil.Process()
    messages: list[int] = []
    try:
        extra = ["--enable-workbench", "--storage", "memory", "--log-level", "warn"]
        with HostProcess(project, extra_args=extra) as host:
            assert host.proc is not None
            host_process = psutil.Process(host.proc.pid)
            load(host.url + "/ok", 2, args.connections)  # warm-up
            for n in range(args.rounds):
                # closed-open, then open-closed: a host that slows down (or speeds up) over the
                # run weighs on both sides alike instead of always on the second one
                for side in ("closed", "open") if n % 2 == 0 else ("open", "closed"):
                    cpu_before = sum(host_process.cpu_times()[:2])
                    client_before = sum(this_process.cpu_times()[:2])
                    if side == "closed":
                        rps = load(host.url + "/ok", args.seconds, args.connections)
                        closed.append(rps)
                    else:
                        rps, got = asyncio.run(watching(host, args.seconds, args.connections))
                        opened.append(rps)
                        messages.append(got)
                    cpu_s = sum(host_process.cpu_times()[:2]) - cpu_before
                    cpu_us[side].append(cpu_s / (rps * args.seconds) * 1e6)
                    client_s = sum(this_process.cpu_times()[:2]) - client_before
                    client_cpu_pct[side].append(client_s / args.seconds * 100)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    closed_rps, open_rps = statistics.median(closed), statistics.median(opened)
    # Each closed round sits next to an open one (ABBA): the ratio within a pair leaves out
    # what the machine's load did between pairs, which moves req/s by more than the page costs.
    paired = statistics.median(o / c for o, c in zip(opened, closed, strict=True))
    tool = "wrk" if shutil.which("wrk") else "httpx (no wrk)"
    print(f"\nGET api step that logs a line, c{args.connections}, {args.seconds} s x {args.rounds}, load: {tool}")
    closed_cpu, open_cpu = statistics.median(cpu_us["closed"]), statistics.median(cpu_us["open"])
    closed_client, open_client = (statistics.median(client_cpu_pct[side]) for side in ("closed", "open"))
    print(f"{'Workbench':<12} {'req/s':>8} {'host CPU us/request':>20} {'bench client CPU %':>19}")
    print(f"{'closed':<12} {closed_rps:>8.0f} {closed_cpu:>20.0f} {closed_client:>19.1f}")
    print(
        f"{'open':<12} {open_rps:>8.0f} {open_cpu:>20.0f} {open_client:>19.1f}"
        f"   ({statistics.median(messages):.0f} messages streamed per round)"
    )
    print(
        f"open/closed: {paired:.2f}x req/s, median of the {len(closed)} adjacent pairs' ratios (target >= 0.95x);"
        f" {open_rps / closed_rps:.2f}x of the medians; {open_cpu / closed_cpu:.2f}x host CPU"
    )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "workbench.json").write_text(
        json.dumps(
            {
                "settings": vars(args),
                "closed": closed,
                "open": opened,
                "cpu_us": cpu_us,
                "client_cpu_pct": client_cpu_pct,
                "messages": messages,
            },
            indent=2,
        )
    )
    # Open is "stephost", closed the baseline: the ratio is what the open Workbench leaves of the api.
    return [
        Figure(
            f"Workbench open vs closed, api req/s c{args.connections} (paired rounds)",
            open_rps,
            closed_rps,
            "req/s",
            Target.ratio_min(0.95),
            paired_ratio=paired,
        )
    ]


def main() -> int:
    run(parser().parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
