"""Events per second end to end: an api step emits N events, an event step writes each to state.

Usage: python bench/events_bench.py [--events 2000] [--rounds 3]

Measured on the SQLite default, on memory, on Redis (127.0.0.1:6379, a key prefix of
its own, deleted after) with one host and with two hosts sharing the work, with the
same run's GET api req/s (wrk, c16) printed beside them for scale. The clock runs from the POST that emits
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
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import redis

from stephost.testing import HostProcess

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import run_wrk  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"


def delete_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()

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
    figures: dict[str, dict[str, Any]] = {}
    setups = {
        "sqlite": (["--storage", "sqlite"], 1),
        "memory": (["--storage", "memory"], 1),
        "redis": (["--redis", REDIS_URL], 1),
        "redis x2": (["--redis", REDIS_URL], 2),
    }
    try:
        for name, (storage_args, n_hosts) in setups.items():
            prefix = f"stephost-bench-{uuid.uuid4().hex[:8]}"
            extra = [*storage_args, "--redis-prefix", prefix, "--log-level", "error"]
            try:
                with ExitStack() as stack:
                    hosts = [stack.enter_context(HostProcess(project, extra_args=extra)) for _ in range(n_hosts)]
                    host = hosts[0]  # emits; every host handles
                    one_round(host, 200, 0, 0)  # warm-up
                    rates = [
                        one_round(host, args.events, r, 200 + (r - 1) * args.events)
                        for r in range(1, args.rounds + 1)
                    ]
                    # wrk is optional here: the events figure is the point, api req/s only for scale
                    api_rps = run_wrk(host.url + "/ok", 5, 16)["rps"] if shutil.which("wrk") else None
                    figures[name] = {"events_per_s": statistics.median(rates), "api_rps": api_rps, "rounds": rates}
            finally:
                delete_prefix(prefix)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    print(f"\nevents end to end (api emits {args.events} -> event step -> state.set), medians of {args.rounds}")
    print(f"{'storage':<10} {'events/s':>10} {'GET api req/s (c16)':>20}")
    for storage, f in figures.items():
        api = f"{f['api_rps']:.0f}" if f["api_rps"] is not None else "n/a (no wrk)"
        print(f"{storage:<10} {f['events_per_s']:>10.0f} {api:>20}")
    for name in ("memory", "redis", "redis x2"):
        ratio = figures[name]["events_per_s"] / figures["sqlite"]["events_per_s"]
        print(f"{name}/sqlite: {ratio:.2f}x")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "events.json").write_text(json.dumps({"settings": vars(args), "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
