"""Idle memory: RSS of the host, of a Python worker and of a Node worker after one request each and
a short idle spell, beside a bare Quart + Hypercorn app, a bare Python interpreter and a bare Node.

Usage: python bench/idle_rss_bench.py [--rounds 3] [--samples 3] [--idle 2]

Each round starts a fresh host (stephost.testing.HostProcess) on a project with one Python api
step and one TypeScript api step, and the three baselines: bench/baseline_quart.py, `python -c`
sleeping, and `node -e` with an idle timer (the floors a worker of each language starts from).
Every server gets one request; after `--idle` seconds RSS (psutil) is read `--samples` times,
0.2 s apart. Worker pids come from the host's GET /__stephost/workers.

A worker's own RSS is the figure held to its target. The Node worker starts a child of its
own (esbuild's service, for tsx), so the sum over each worker's process tree is shown beside
it for information. Medians over every sample of every round; the samples are also written to
bench/results/idle_rss.json. Every process started here is stopped by pid.
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

from stephost.testing import HostProcess, free_port

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import PY_STEP, TS_STEP  # noqa: E402  (the same two steps the api bench loads)
from common import Figure, Target, rss_mib, stop_process, tree_rss_mib, wait_http  # noqa: E402

# Keys of one sample, in the order of the detailed table.
COLUMNS = (
    "host",
    "py_worker",
    "py_worker_tree",
    "node_worker",
    "node_worker_tree",
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
        time.sleep(args.idle)
        samples = []
        for _ in range(args.samples):
            samples.append(
                {
                    "host": rss_mib(host.proc.pid),
                    "py_worker": rss_mib(pids["PyOk"]),
                    "py_worker_tree": tree_rss_mib(pids["PyOk"]),
                    "node_worker": rss_mib(pids["TsOk"]),
                    "node_worker_tree": tree_rss_mib(pids["TsOk"]),
                    "bare_quart": rss_mib(quart.pid),
                    "bare_python": rss_mib(bare_python.pid),
                    "bare_node": rss_mib(bare_node.pid),
                }
            )
            time.sleep(0.2)
    return samples


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="idle RSS of host and workers vs bare Quart, Python, Node")
    parser.add_argument("--rounds", type=int, default=3, help="fresh host and baselines each round")
    parser.add_argument("--samples", type=int, default=3, help="RSS readings per round, 0.2 s apart")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle after the requests")
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
    med = {k: statistics.median(s[k] for s in samples) for k in COLUMNS}

    print(f"\nidle RSS MiB, {args.idle:g} s after one request each; medians of {len(samples)} samples")
    print(" ".join(f"{k:>16}" for k in COLUMNS))
    print(" ".join(f"{med[k]:>16.1f}" for k in COLUMNS))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "idle_rss.json").write_text(
        json.dumps({"settings": vars(args), "median_mib": med, "samples": samples}, indent=2)
    )

    rows = [
        Figure("idle RSS, host", med["host"], med["bare_quart"], "MiB", Target.maximum(80)),
        Figure("idle RSS, Python worker", med["py_worker"], med["bare_python"], "MiB", Target.maximum(35)),
        Figure("idle RSS, Node worker", med["node_worker"], med["bare_node"], "MiB", Target.maximum(60)),
    ]
    # The process trees only get rows of their own when a worker has children (Node's esbuild).
    for key, label, base in (
        ("py_worker", "Python", "bare_python"),
        ("node_worker", "Node", "bare_node"),
    ):
        if med[f"{key}_tree"] - med[key] > 0.5:
            rows.append(Figure(f"idle RSS, {label} worker + children (info)", med[f"{key}_tree"], med[base], "MiB"))
    return rows


def main() -> int:
    run(parser().parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
