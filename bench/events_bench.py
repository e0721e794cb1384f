"""Events per second end to end: an api step emits N events, an event step writes each to state.

Usage: python bench/events_bench.py [--events 2000] [--rounds 3]

Measured on the SQLite default and on memory, with the same run's GET api req/s
(wrk, c16) printed beside them for scale. The clock runs from the POST that emits
to the moment every event's state write is visible. Medians of the rounds; the
figures are also written to bench/results/events.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from stephost.testing import HostProcess

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import run_wrk  # noqa: E402

EMITTER = """
config = {"type": "api", "name": "Batch", "path": "/batch", "method": "POST", "emits": ["ev"]}


async def handler(req, context):
    for n in range(req.body["count"]):
        await context.emit({"topic": "ev", "data": {"id": f"{req.body['round']}-{n}"}})
    return {"status": 202, "body": {}}
"""

SINK = """
config = {"type": "event", "name": "Sink", "subscribes": ["ev"], "emits": []}


async def handler(data, context):
    await context.state.set("sink", data["id"], 1)
"""

COUNTER = """
config = {"type": "api", "name": "Count", "path": "/count/:round", "method": "GET", "emits": []}


async def handler(req, context):
    ids = await context.state.get_group("sink")
    return {"status": 200, "body": {"n": len(ids)}}
"""

OK = """
config = {"type": "api", "name": "Ok", "path": "/ok", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"ok": True}}
"""


def one_round(host: HostProcess, count: int, round_no: int, already: int) -> float:
    started = time.perf_counter()
    r = httpx.post(host.url + "/batch", json={"count": count, "round": round_no}, timeout=300)
    r.raise_for_status()
    while True:
        n = httpx.get(host.url + f"/count/{round_no}", timeout=60).json()["n"]
        if n >= already + count:
            return count / (time.perf_counter() - started)
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    project = Path(tempfile.mkdtemp(prefix="stephost-events-bench-"))
    (project / "steps").mkdir()
    for name, source in {
        "batch_step.py": EMITTER,
        "sink_step.py": SINK,
        "count_step.py": COUNTER,
        "ok_step.py": OK,
    }.items():
        (project / "steps" / name).write_text(source)
    figures: dict[str, dict[str, float]] = {}
    try:
        for storage in ("sqlite", "memory"):
            with HostProcess(project, extra_args=["--storage", storage, "--log-level", "error"]) as host:
                one_round(host, 200, 0, 0)  # warm-up
                rates = [
                    one_round(host, args.events, r, 200 + (r - 1) * args.events) for r in range(1, args.rounds + 1)
                ]
                api = run_wrk(host.url + "/ok", 5, 16)
                figures[storage] = {"events_per_s": statistics.median(rates), "api_rps": api["rps"], "rounds": rates}
    finally:
        shutil.rmtree(project, ignore_errors=True)
    print(f"\nevents end to end (api emits {args.events} -> event step -> state.set), medians of {args.rounds}")
    print(f"{'storage':<10} {'events/s':>10} {'GET api req/s (c16)':>20}")
    for storage, f in figures.items():
        print(f"{storage:<10} {f['events_per_s']:>10.0f} {f['api_rps']:>20.0f}")
    print(f"sqlite/memory: {figures['sqlite']['events_per_s'] / figures['memory']['events_per_s']:.2f}x")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "events.json").write_text(json.dumps({"settings": vars(args), "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
