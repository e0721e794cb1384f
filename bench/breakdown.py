"""Where the host's time goes per request: CPU microseconds per request, split by stage.

Usage: python bench/breakdown.py [--route get|post] [--seconds 10] [--connections 16]

Starts a host with one Python api step (GET: answers `{"ok": true}`; POST: `state.set` +
`emit`, with an event step doing `state.get`), loads it with wrk (c16) and meanwhile samples
the host's main thread with py-spy (a sampling profiler in its own process: the host runs
unmodified). The host's CPU time over the run divided by the requests served gives
microseconds per request; each sample is put in the first stage whose code is on its stack,
searched from the innermost frame out, so a sample inside httptools called by the ingress counts
as HTTP, not as ingress. Printed as a table, written to bench/results/breakdown-<route>.json;
py-spy's folded stacks are kept beside it (breakdown-<route>.folded).

Stages: HTTP (Uvicorn, httptools, socket writes), worker stream (grpc.aio reads and writes),
worker protocol (stephost's connection: messages, futures, batching), ctx calls (state,
emit, the bus and its SQLite store), ingress (routing, the request payload, validation, the
response), the rest of stephost, and the event loop itself (asyncio picking the next
callback, epoll): asyncio code called by a stage counts as that stage's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

from stephost.testing import HostProcess

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import PY_STEP, run_wrk  # noqa: E402
from events_bench import POST_LUA, POSTER, READER  # noqa: E402

# (stage, substrings of a frame "function (file:line)"), checked from the innermost frame out.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    # py-spy names a frame "function (package/module.py:line)"
    (
        "HTTP (Uvicorn, httptools, socket I/O)",
        ("(uvicorn/", "(httptools/", "(asyncio/selector_events.py", "(asyncio/streams.py"),
    ),
    ("worker stream (grpc.aio)", ("(grpc/", "rpc_server.py")),
    ("worker protocol (stephost)", ("(stephost/workers/",)),
    ("ctx calls (state, emit, bus, SQLite)", ("(stephost/ctx.py", "(stephost/bus/", "(stephost/state/", "(sqlite3/")),
    ("ingress (routing, payload, response)", ("(stephost/http/", "(stephost/registry.py", "(stephost/validation.py")),
    ("stephost, other", ("(stephost/",)),
]
# asyncio code runs on behalf of whoever called it (a wait_for in Uvicorn is Uvicorn's
# cost): a sample goes to the event loop only when no frame of any stage is on its stack
# (the loop itself: picking the next callback, epoll).
EVENT_LOOP = "event loop (asyncio scheduling)"


def stage_of(frames: list[str]) -> str:
    # Only what runs inside a callback of the loop: the frames that started the loop (cli,
    # Host.serve, asyncio.run) are on every stack.
    inner = [i for i, f in enumerate(frames) if "_run_once" in f or "run_forever" in f]
    for frame in reversed(frames[inner[-1] + 1 :] if inner else frames):
        for stage, needles in STAGES:
            if any(n in frame for n in needles):
                return stage
    return EVENT_LOOP


def main_thread_samples(raw: Path) -> Counter[str]:
    """Samples per stage, main thread only (py-spy's raw format: one folded stack per line)."""
    stages: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        # The main thread runs the event loop; grpc's poller and the child watcher are threads of their own.
        if not any("run_forever" in f for f in frames):
            continue
        stages[stage_of(frames)] += int(count)
    return stages


def project_for(route: str) -> tuple[Path, str, Path | None]:
    project = Path(tempfile.mkdtemp(prefix="stephost-breakdown-"))
    (project / "steps").mkdir()
    if route == "get":
        (project / "steps" / "py_ok_step.py").write_text(PY_STEP)
        return project, "/py/ok", None
    (project / "steps" / "post_step.py").write_text(POSTER)
    (project / "steps" / "reader_step.py").write_text(READER)
    script = project / "post.lua"
    script.write_text(POST_LUA)
    return project, "/post", script


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--route", choices=["get", "post"], default="get")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists() or shutil.which("wrk") is None:
        print("needs py-spy (pip install py-spy) and wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    project, path, script = project_for(args.route)
    raw = project / "profile.txt"
    try:
        with HostProcess(project, mode="start", extra_args=["--log-level", "warn"]) as host:
            run_wrk(host.url + path, 2, args.connections, script)  # warm-up
            assert host.proc is not None
            proc = psutil.Process(host.proc.pid)
            cpu_before = sum(proc.cpu_times()[:2])
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "-p",
                    str(proc.pid),
                    "-d",
                    str(args.seconds),
                    "-r",
                    "250",
                    "-f",
                    "raw",
                    "-o",
                    str(raw),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5)  # py-spy attaches
            load = run_wrk(host.url + path, args.seconds - 1, args.connections, script)
            spy.wait(timeout=args.seconds + 30)
            cpu_s = sum(proc.cpu_times()[:2]) - cpu_before
        requests = load["rps"] * (args.seconds - 1)
        samples = main_thread_samples(raw)
        (HERE / "results").mkdir(exist_ok=True)
        # the folded stacks themselves, for a closer look (flamegraph.pl, speedscope, grep)
        shutil.copy(raw, HERE / "results" / f"breakdown-{args.route}.folded")
    finally:
        shutil.rmtree(project, ignore_errors=True)
    total = sum(samples.values()) or 1
    us_per_request = cpu_s / requests * 1e6
    rate = f"{load['rps']:.0f} req/s"
    print(f"\n{args.route.upper()} {path}, c{args.connections}, {rate}; host CPU {us_per_request:.0f} us per request")
    print("(all threads; the split is of the event loop thread's samples, which are most of it)\n")
    print(f"{'stage':<40} {'share':>6} {'us/request':>11}")
    rows = []
    for stage in [s for s, _ in STAGES] + [EVENT_LOOP]:
        share = samples[stage] / total
        rows.append({"stage": stage, "share": share, "us_per_request": share * us_per_request})
        print(f"{stage:<40} {share:>6.1%} {share * us_per_request:>11.0f}")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"breakdown-{args.route}.json"
    out.write_text(
        json.dumps({"route": path, "rps": load["rps"], "us_per_request": us_per_request, "stages": rows}, indent=2)
    )
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
