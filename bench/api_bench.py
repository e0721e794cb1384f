"""GET api step via a Python worker and via a Node worker, beside a bare Quart + Hypercorn app.

Usage: python bench/api_bench.py [--rounds 3] [--duration 5] [--connections 16]

Load comes from wrk (Debian package `wrk`) in its own process on loopback. Each
target is measured `--rounds` times, interleaved, and the medians are printed side
by side with the ratio to the baseline; the figures are also written as JSON to
bench/results/api.json. The machine is shared: read the ratios, not the absolutes.
`run(args)` does the same for bench/run_all.py and returns the rows of its summary.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from stephost.testing import HostProcess, free_port

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import Figure, Target  # noqa: E402

BARE = "bare Quart + Hypercorn"

PY_STEP = """
config = {"type": "api", "name": "PyOk", "path": "/py/ok", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"ok": True}}
"""

TS_STEP = """
export const config = { type: 'api', name: 'TsOk', path: '/ts/ok', method: 'GET', emits: [] }

export const handler = async () => ({ status: 200, body: { ok: true } })
"""


def parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def latency_ms(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        assert m, output
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if m:
        errors += sum(int(x) for x in m.groups())
    return {"rps": rps, "p50_ms": latency_ms("50"), "p99_ms": latency_ms("99"), "errors": errors}


def run_wrk(url: str, duration: int, connections: int, script: Path | None = None) -> dict[str, float]:
    """One wrk run; `script` is a wrk Lua script (e.g. one that makes every request a POST)."""
    extra = ["-s", str(script)] if script else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    return parse_wrk(out)


def wait_http(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="GET api step via Python and Node workers vs bare Quart")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    return parser


def run(args: argparse.Namespace) -> list[Figure]:
    """Measure, print the detailed table, write bench/results/api.json; return the summary rows."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is needed: apt-get install wrk")

    project = Path(tempfile.mkdtemp(prefix="stephost-bench-"))
    (project / "steps").mkdir()
    (project / "steps" / "py_ok_step.py").write_text(PY_STEP)
    (project / "steps" / "ts_ok.step.ts").write_text(TS_STEP)

    base_port = free_port()
    baseline = subprocess.Popen([sys.executable, str(HERE / "baseline_quart.py"), "--port", str(base_port)])
    host = HostProcess(project, mode="start", extra_args=["--log-level", "warn"])
    try:
        host.start()
        wait_http(f"http://127.0.0.1:{base_port}/ok")
        targets = {
            BARE: f"http://127.0.0.1:{base_port}/ok",
            "stephost, Python worker": host.url + "/py/ok",
            "stephost, Node worker": host.url + "/ts/ok",
        }
        for url in targets.values():  # warm-up: imports, JIT, connection setup
            run_wrk(url, 1, args.connections)
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, url in targets.items():
                samples[name].append(run_wrk(url, args.duration, args.connections))
    finally:
        host.stop()
        baseline.send_signal(signal.SIGTERM)
        try:
            baseline.wait(10)
        except subprocess.TimeoutExpired:
            baseline.kill()
            baseline.wait()
        shutil.rmtree(project, ignore_errors=True)

    medians = {
        name: {k: statistics.median(s[k] for s in runs) for k in ("rps", "p50_ms", "p99_ms")}
        | {"errors": sum(s["errors"] for s in runs)}
        for name, runs in samples.items()
    }
    base = medians[BARE]
    print(
        f"\nGET api step, c{args.connections}, {args.rounds} rounds x {args.duration} s, medians "
        f"({time.strftime('%Y-%m-%d %H:%M')})"
    )
    print(f"{'target':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'req/s vs bare':>14}")
    for name, m in medians.items():
        print(
            f"{name:<26} {m['rps']:>9.0f} {m['p50_ms']:>8.2f} {m['p99_ms']:>8.2f} {m['errors']:>7.0f} "
            f"{m['rps'] / base['rps']:>13.2f}x"
        )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "api.json").write_text(
        json.dumps({"settings": vars(args), "medians": medians, "samples": samples}, indent=2)
    )
    print(f"\nwritten: {results / 'api.json'}")
    return figures(medians, args.connections)


def figures(medians: dict[str, dict[str, float]], connections: int) -> list[Figure]:
    base = medians[BARE]
    rows = []
    for worker in ("Python", "Node"):
        m = medians[f"stephost, {worker} worker"]
        rows += [
            Figure(
                f"GET api, {worker} worker, req/s c{connections}", m["rps"], base["rps"], "req/s", Target.ratio_min(1.0)
            ),
            Figure(
                f"GET api, {worker} worker, p99 c{connections}",
                m["p99_ms"],
                base["p99_ms"],
                "ms",
                Target.ratio_max(2.0),
            ),
        ]
    return rows


def main() -> int:
    args = parser().parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
