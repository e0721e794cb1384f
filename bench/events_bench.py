"""Events per second end to end: an api step emits N events (100 at a time), an event step writes
each to state;
and POST req/s of an api step doing state.set + emit, with an event step doing state.get, beside
a bare Quart + Hypercorn POST.

Usage: python bench/events_bench.py [--events 2000] [--rounds 3] [--post-seconds 5] [--connections 16]
                                    [--scale-seconds 5]

Events drained/s is measured on the SQLite default, on memory, on Redis (127.0.0.1:6379, a key
prefix of its own, deleted after) with one host and with two hosts sharing the work, with the
same run's GET api req/s (wrk, c16; `--scale-seconds 0` skips it) printed beside them for
scale. The clock runs from the POST that emits to the moment every event's state write is
visible. Redis setups are skipped, with a note, when nothing answers on 127.0.0.1:6379.

POST req/s comes from wrk (its own process, loopback, a Lua script making each request a JSON
POST), rounds alternating bare Quart and stephost (SQLite); after each stephost round the
bench waits (bounded) until the event step has nothing in flight for a second, so the backlog
the load left behind does not slow the next round down. Medians of the rounds; the figures
are also written to bench/results/events.json. `run(args)` returns the summary rows.
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
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import redis

from stephost.testing import HostProcess, free_port

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import run_wrk  # noqa: E402
from common import Figure, Target, stop_process, wait_http  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"


def delete_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def redis_available() -> bool:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


# The backlog is emitted 100 at a time (concurrent ctx calls): what is measured is how fast
# the bus, the event step's worker and the state store drain it, not one handler's
# sequential emit latency (one await per emit would cap the figure at 1 / round trip).
EMITTER = """
import asyncio

config = {"type": "api", "name": "Batch", "path": "/batch", "method": "POST", "emits": ["ev"]}


async def handler(req, context):
    count, round_no = req.body["count"], req.body["round"]
    for start in range(0, count, 100):
        ids = [f"{round_no}-{n}" for n in range(start, min(count, start + 100))]
        await asyncio.gather(*(context.emit({"topic": "ev", "data": {"id": i}}) for i in ids))
    return {"status": 202, "body": {}}
"""

SINK = """
config = {"type": "event", "name": "Sink", "subscribes": ["ev"], "emits": []}


async def handler(data, context):
    await context.state.set("sink", data["id"], 1)
"""

# Asked every 50 ms while a round drains. Reading the whole group each time would cost the host
# more as the group grows (thousands of values per read, twenty reads a second) and measure the
# poll as much as the drain: it first looks for the round's last event, and reads the group only
# once that one is written.
COUNTER = """
config = {"type": "api", "name": "Count", "path": "/count/:round", "method": "GET", "emits": []}


async def handler(req, context):
    last = req["queryParams"].get("last")
    last = last[0] if isinstance(last, list) else last
    if last and await context.state.get("sink", last) is None:
        return {"status": 200, "body": {"n": -1}}
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
    last = f"{round_no}-{count - 1}"
    while True:
        n = httpx.get(host.url + f"/count/{round_no}", params={"last": last}, timeout=60).json()["n"]
        if n >= already + count:
            return count / (time.perf_counter() - started)
        time.sleep(0.05)


POSTER = """
config = {"type": "api", "name": "Post", "path": "/post", "method": "POST", "emits": ["posted"]}


async def handler(req, context):
    await context.state.set("posts", context.trace_id, req["body"])
    await context.emit({"topic": "posted", "data": {"id": context.trace_id}})
    return {"status": 200, "body": {"ok": True}}
"""

READER = """
config = {"type": "event", "name": "Reader", "subscribes": ["posted"], "emits": []}


async def handler(data, context):
    await context.state.get("posts", data["id"])
"""

POST_LUA = """
wrk.method = "POST"
wrk.body = '{"item": "bench", "quantity": 1}'
wrk.headers["Content-Type"] = "application/json"
"""

DRAIN_TIMEOUT_S = 120.0
# Targets from issue 9; "redis x2" (two hosts sharing one Redis) has none and is shown for information.
DRAIN_TARGETS = {"sqlite": 2000.0, "memory": 3000.0, "redis": 1500.0}


def write_project(steps: dict[str, str], prefix: str) -> Path:
    project = Path(tempfile.mkdtemp(prefix=prefix))
    (project / "steps").mkdir()
    for name, source in steps.items():
        (project / "steps" / name).write_text(source)
    return project


def wait_drained(host: HostProcess, step: str) -> float:
    """Seconds until `step` has had nothing in flight for a whole second (bounded by DRAIN_TIMEOUT_S).

    The host exposes no queue depth over HTTP; a second with no invocation in flight is far
    longer than any gap between two deliveries while a backlog remains.
    """
    started = time.monotonic()
    quiet_since: float | None = None
    while time.monotonic() - started < DRAIN_TIMEOUT_S:
        workers = httpx.get(host.url + "/__stephost/workers", timeout=10).json()["workers"]
        busy = sum(w["in_flight"] for w in workers if w["step"] == step)
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= 1.0:
            return quiet_since - started
        time.sleep(0.1)
    raise RuntimeError(f"{step} still had events in flight after {DRAIN_TIMEOUT_S} s")


def measure_post(args: argparse.Namespace) -> dict[str, Any]:
    """POST req/s (wrk) of bare Quart and of stephost's state.set + emit step, alternating per round."""
    project = write_project({"post_step.py": POSTER, "reader_step.py": READER}, "stephost-post-bench-")
    script = project / "post.lua"
    script.write_text(POST_LUA)
    base_port = free_port()
    baseline = subprocess.Popen([sys.executable, str(HERE / "baseline_quart.py"), "--port", str(base_port)])
    base_url = f"http://127.0.0.1:{base_port}/ok"
    samples: dict[str, list[dict[str, float]]] = {"bare": [], "stephost": []}
    drains: list[float] = []
    try:
        with HostProcess(project, extra_args=["--log-level", "warn"]) as host:
            wait_http(base_url, proc=baseline)
            run_wrk(base_url, 1, args.connections, script)  # warm-up
            run_wrk(host.url + "/post", 1, args.connections, script)
            wait_drained(host, "Reader")
            for _ in range(args.rounds):
                samples["bare"].append(run_wrk(base_url, args.post_seconds, args.connections, script))
                samples["stephost"].append(run_wrk(host.url + "/post", args.post_seconds, args.connections, script))
                drains.append(wait_drained(host, "Reader"))
    finally:
        stop_process(baseline)
        shutil.rmtree(project, ignore_errors=True)
    medians = {
        name: {k: statistics.median(s[k] for s in runs) for k in ("rps", "p99_ms")}
        | {"errors": sum(s["errors"] for s in runs)}
        for name, runs in samples.items()
    }
    return {"medians": medians, "samples": samples, "drain_after_s": drains}


def measure_drain(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """events/s from one POST that emits `--events` until every event's state write is visible."""
    project = write_project(
        {"batch_step.py": EMITTER, "sink_step.py": SINK, "count_step.py": COUNTER, "ok_step.py": OK},
        "stephost-events-bench-",
    )
    figures: dict[str, dict[str, Any]] = {}
    setups = {
        "sqlite": (["--storage", "sqlite"], 1),
        "memory": (["--storage", "memory"], 1),
        "redis": (["--redis", REDIS_URL], 1),
        "redis x2": (["--redis", REDIS_URL], 2),
    }
    if not redis_available():
        print(f"events bench: nothing answers at {REDIS_URL}; the Redis setups are skipped", file=sys.stderr)
        setups = {k: v for k, v in setups.items() if not k.startswith("redis")}
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
                        one_round(host, args.events, r, 200 + (r - 1) * args.events) for r in range(1, args.rounds + 1)
                    ]
                    # wrk is optional here: the events figure is the point, api req/s only for scale
                    scale = args.scale_seconds > 0 and shutil.which("wrk")
                    api_rps = run_wrk(host.url + "/ok", args.scale_seconds, 16)["rps"] if scale else None
                    figures[name] = {"events_per_s": statistics.median(rates), "api_rps": api_rps, "rounds": rates}
            finally:
                if name.startswith("redis"):
                    delete_prefix(prefix)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return figures


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="events drained/s per storage; POST state.set + emit req/s")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--post-seconds", type=int, default=5, help="wrk duration of each POST round")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for the POST rounds")
    parser.add_argument("--scale-seconds", type=int, default=5, help="GET api req/s printed for scale; 0 skips")
    return parser


def run(args: argparse.Namespace) -> list[Figure]:
    """Measure, print the detailed tables, write bench/results/events.json; return the summary rows."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is needed: apt-get install wrk")
    post = measure_post(args)
    figures = measure_drain(args)

    bare, host = post["medians"]["bare"], post["medians"]["stephost"]
    print(
        f"\nPOST api step (state.set + emit; event step does state.get), c{args.connections}, "
        f"{args.rounds} round(s) x {args.post_seconds} s, medians"
    )
    print(f"{'target':<26} {'req/s':>9} {'p99 ms':>8} {'errors':>7}")
    print(f"{'bare Quart + Hypercorn':<26} {bare['rps']:>9.0f} {bare['p99_ms']:>8.2f} {bare['errors']:>7.0f}")
    print(f"{'stephost (SQLite)':<26} {host['rps']:>9.0f} {host['p99_ms']:>8.2f} {host['errors']:>7.0f}")
    drains = ", ".join(f"{d:.2f}" for d in post["drain_after_s"])
    print(f"stephost/bare: {host['rps'] / bare['rps']:.2f}x; events left over drained within {drains} s of each round")

    print(f"\nevents end to end (api emits {args.events} -> event step -> state.set), medians of {args.rounds}")
    print(f"{'storage':<10} {'events/s':>10} {'GET api req/s (c16)':>20}")
    for storage, f in figures.items():
        api = f"{f['api_rps']:.0f}" if f["api_rps"] is not None else "n/a"
        print(f"{storage:<10} {f['events_per_s']:>10.0f} {api:>20}")
    for name in ("memory", "redis", "redis x2"):
        if name in figures:
            ratio = figures[name]["events_per_s"] / figures["sqlite"]["events_per_s"]
            print(f"{name}/sqlite: {ratio:.2f}x")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "events.json").write_text(
        json.dumps({"settings": vars(args), "figures": figures, "post": post}, indent=2)
    )
    if host["errors"] or bare["errors"]:
        print(f"warning: POST errors (non-2xx or socket): stephost {host['errors']}, bare {bare['errors']}")

    rows = [
        Figure(
            f"POST api state.set+emit, req/s c{args.connections}",
            host["rps"],
            bare["rps"],
            "req/s",
            Target.ratio_min(0.5),
        )
    ]
    for storage, f in figures.items():
        target = DRAIN_TARGETS.get(storage)
        rows.append(
            Figure(
                f"events drained/s, {storage}",
                f["events_per_s"],
                None,
                "ev/s",
                Target.minimum(target) if target else None,
            )
        )
    return rows


def main() -> int:
    run(parser().parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
