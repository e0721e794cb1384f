"""Idle memory: RSS of the host, of a Python and of a Node worker, idle after one request each,
beside a bare Quart + Hypercorn app, a bare Python interpreter and a bare Node.

Usage: python bench/idle_rss_bench.py [--rounds 3] [--samples 3] [--early 2] [--idle 12]

Each round starts a fresh host (stephost.testing.HostProcess) on a project with one Python api
step and one TypeScript api step, and the three baselines: bench/baseline_quart.py, `python -c`
sleeping, and `node -e` with an idle timer (the floors a worker of each language starts from).
Every server gets one request; RSS (psutil) is read `--samples` times, 0.2 s apart, twice:
`--early` seconds after the request and again `--idle` seconds after it. Worker pids come from
the host's GET /__stephost/workers.

The idle reading is the one held to the targets. V8 keeps a Node worker's young generation
at its start-up size until its memory reducer runs, ~8 s after activity stops; the early
reading shows the memory before that, and is printed beside it.

A worker's own RSS is the figure held to its target. Also shown, for information: the sum
over each worker's process tree (a Node worker starts esbuild's service when it compiles a
file tsx has not cached), the host's Python worker launcher (stephost_sdk.forkserver; its
pages are shared copy-on-write with every Python worker, so a Python worker's USS, the memory
it alone holds, is shown too). Medians over every sample of every round; the samples are also
written to bench/results/idle_rss.json. Every process started here is stopped by pid.
`run(args)` returns the summary rows for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from stephost.testing import HostProcess, free_port

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import PY_STEP, TS_STEP  # noqa: E402  (the same two steps the api bench loads)
from common import Figure, Target, rss_mib, stop_process, tree_rss_mib, wait_http  # noqa: E402

# The two readings of each round: `--early` and `--idle` seconds after the requests.
PHASES = ("early", "idle")
# Keys of one sample, in the order of the detailed table.
COLUMNS = (
    "host",
    "py_worker",
    "py_worker_tree",
    "node_worker",
    "node_worker_tree",
    "py_worker_uss",
    "launcher",
    "bare_quart",
    "bare_python",
    "bare_node",
)


@contextmanager
def spawned(cmd: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        leftovers = stop_process(proc)
        if leftovers:
            print(f"warning: {cmd[:2]} left processes behind, killed: {leftovers}", file=sys.stderr)


def one_round(project: Path, args: argparse.Namespace) -> list[dict[str, float]]:
    port = free_port()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed on PATH")
    with (
        spawned([sys.executable, str(HERE / "baseline_quart.py"), "--port", str(port)]) as quart,
        spawned([sys.executable, "-c", "import time; time.sleep(3600)"]) as bare_python,
        spawned([node, "-e", "setInterval(() => {}, 1 << 30)"]) as bare_node,
        HostProcess(project, extra_args=["--log-level", "warn"]) as host,
    ):
        wait_http(f"http://127.0.0.1:{port}/ok", proc=quart)
        for url in (host.url + "/py/ok", host.url + "/ts/ok"):
            httpx.get(url, timeout=10).raise_for_status()
        pids = host.worker_pids()
        assert host.proc is not None
        launcher = next(
            (c.pid for c in psutil.Process(host.proc.pid).children() if "stephost_sdk.forkserver" in c.cmdline()),
            None,
        )
        started = time.monotonic()
        samples = []
        for phase, after_s in (("early", args.early), ("idle", args.idle)):
            time.sleep(max(0.0, started + after_s - time.monotonic()))
            for _ in range(args.samples):
                sample = {
                    "host": rss_mib(host.proc.pid),
                    "py_worker": rss_mib(pids["PyOk"]),
                    "py_worker_tree": tree_rss_mib(pids["PyOk"]),
                    "node_worker": rss_mib(pids["TsOk"]),
                    "node_worker_tree": tree_rss_mib(pids["TsOk"]),
                    "py_worker_uss": psutil.Process(pids["PyOk"]).memory_full_info().uss / 2**20,
                    "launcher": rss_mib(launcher) if launcher is not None else 0.0,
                    "bare_quart": rss_mib(quart.pid),
                    "bare_python": rss_mib(bare_python.pid),
                    "bare_node": rss_mib(bare_node.pid),
                }
                samples.append({f"{phase}:{k}": v for k, v in sample.items()})
                time.sleep(0.2)
    return samples


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="idle RSS of host and workers vs bare Quart, Python, Node")
    parser.add_argument("--rounds", type=int, default=3, help="fresh host and baselines each round")
    parser.add_argument("--samples", type=int, default=3, help="RSS readings per round, 0.2 s apart")
    parser.add_argument("--early", type=float, default=2.0, help="seconds after the requests: the early reading")
    parser.add_argument("--idle", type=float, default=12.0, help="seconds after the requests: the idle reading")
    return parser


def run(args: argparse.Namespace) -> list[Figure]:
    """Measure, print the detailed table, write bench/results/idle_rss.json; return the summary rows."""
    project = Path(tempfile.mkdtemp(prefix="stephost-rss-bench-"))
    (project / "steps").mkdir()
    (project / "steps" / "py_ok_step.py").write_text(PY_STEP)
    (project / "steps" / "ts_ok.step.ts").write_text(TS_STEP)
    try:
        samples = [s for _ in range(args.rounds) for s in one_round(project, args)]
    finally:
        shutil.rmtree(project, ignore_errors=True)
    med: dict[str, float] = {}
    for phase in PHASES:
        for k in COLUMNS:
            med[f"{phase}:{k}"] = statistics.median(s[f"{phase}:{k}"] for s in samples if f"{phase}:{k}" in s)

    print(f"\nRSS MiB after one request each; medians of {len(samples) // 2} samples per reading")
    print(f"{'reading':>20} " + " ".join(f"{k:>16}" for k in COLUMNS))
    for phase, after_s in (("early", args.early), ("idle", args.idle)):
        label = f"{phase} ({after_s:g} s)"
        print(f"{label:>20} " + " ".join(f"{med[f'{phase}:{k}']:>16.1f}" for k in COLUMNS))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "idle_rss.json").write_text(
        json.dumps({"settings": vars(args), "median_mib": med, "samples": samples}, indent=2)
    )

    def idle(key: str) -> float:
        return med[f"idle:{key}"]

    def early(key: str) -> float:
        return med[f"early:{key}"]

    rows = [
        Figure("idle RSS, host", idle("host"), idle("bare_quart"), "MiB", Target.maximum(80)),
        Figure("idle RSS, Python worker", idle("py_worker"), idle("bare_python"), "MiB", Target.maximum(35)),
        Figure("idle RSS, Node worker", idle("node_worker"), idle("bare_node"), "MiB", Target.maximum(60)),
        Figure(
            f"RSS {args.early:g} s after a request, Node worker (info)",
            early("node_worker"),
            early("bare_node"),
            "MiB",
        ),
        Figure("idle USS, Python worker (info)", idle("py_worker_uss"), idle("bare_python"), "MiB"),
    ]
    if idle("launcher"):
        rows.append(Figure("idle RSS, Python worker launcher (info)", idle("launcher"), idle("bare_python"), "MiB"))
    # The process trees only get rows of their own when a worker has children (Node's esbuild).
    for key, label, base in (
        ("py_worker", "Python", "bare_python"),
        ("node_worker", "Node", "bare_node"),
    ):
        if idle(f"{key}_tree") - idle(key) > 0.5:
            rows.append(Figure(f"idle RSS, {label} worker + children (info)", idle(f"{key}_tree"), idle(base), "MiB"))
    return rows


def main() -> int:
    run(parser().parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
