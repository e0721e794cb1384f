"""Mixed soak at 50 % of peak (issue 9): RSS within +10 %, zero errors, zero lost events.

Usage: python bench/soak_bench.py [--minutes 10] [--peak-seconds 5] [--connections 16] [--concurrency 32]
                                  [--sample-seconds 10] [--client raw|httpx] [--drain-timeout 120]

One host (`stephost start`, SQLite default, via stephost.testing.HostProcess) serves a project
of four steps: GET /soak/py (Python), GET /soak/ts (TypeScript), POST /soak/orders (Python:
state.set of the order, then emit of its id) and an event step in TypeScript that handles the
id with state.get and records it with state.set in the group "handled", keyed by the id.

Phase 1, peak: wrk (c`--connections`, `--peak-seconds`) on the mix itself, a Lua script
rotating the three routes, after a 1 s warm-up; then the events it left are drained.
Phase 2, soak: `--minutes` at half that peak, the three routes in turn, from a load generator
in its own process (this file with `--_load`: asyncio, request n started at t0 + n / rate, at
most `--concurrency` in flight, so a slow host lowers the achieved rate rather than piling up
requests). It counts status codes and transport errors per route and records every POSTed id
answered 2xx. wrk cannot hold a rate, hence the generator. Its HTTP client is a small raw
HTTP/1.1 one (keep-alive, Content-Length bodies: what the host sends): httpx, measured here,
costs ~1 ms of CPU per request, ten times as much, and on two cores shared with the host it
topped out at 0.35-0.4x of wrk's peak, short of the half the soak needs. `--client httpx`
runs the same load through httpx anyway.

RSS (psutil) of the host and of every worker (its process tree: the Node worker has
esbuild's service as a child) is sampled every `--sample-seconds` (at most a tenth of the
phase) while the load runs; pids come from GET /__stephost/workers. The start value is the
median of the first three samples after a warm-up of 30 s (a quarter of a shorter phase): the
first seconds under load grow allocator arenas, connection pools, JIT code and SQLite's page
cache once, which is not a leak. The end value is the median of the last three samples, all
under load like the first. Medians, because one sample can land on either side of a Node GC.
Growth = end / start, held to <= 1.10x for the host and for the workers in total. The soak
starts 3 s after the peak, with every worker ready: the host kills a worker that leaves a
Cancel unanswered for 2 s, and wrk ending drops requests mid-flight (see settle()).

After the load: wait (bounded by `--drain-timeout`) until the host's event queue is empty
(the deliveries table of events.sqlite3 in its data dir), then read the "handled" group from
state.sqlite3: lost = accepted POST ids never handled. For information: handled ids no 2xx
POST accounts for ("duplicates": e.g. a POST that landed but whose answer the client lost),
deliveries that ran more than once (the handler records ctx.attempt), handlers that found no
order, dead letters. Samples and counts go to bench/results/soak.json; `run(args)` returns
the summary rows for bench/run_all.py. Every process started here is stopped by pid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from stephost.testing import HostProcess

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_bench import parse_wrk  # noqa: E402
from common import Figure, Target, print_table, rss_mib, stop_process, tree_rss_mib  # noqa: E402

PY_GET = """
config = {"type": "api", "name": "SoakPy", "path": "/soak/py", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"ok": True}}
"""

TS_GET = """
export const config = { type: 'api', name: 'SoakTs', path: '/soak/ts', method: 'GET', emits: [] }

export const handler = async () => ({ status: 200, body: { ok: true } })
"""

PY_POST = """
config = {"type": "api", "name": "SoakOrder", "path": "/soak/orders", "method": "POST", "emits": ["soak.order"]}


async def handler(req, context):
    order_id = req.body["id"]
    await context.state.set("orders", order_id, req.body)
    await context.emit({"topic": "soak.order", "data": {"id": order_id}})
    return {"status": 200, "body": {"id": order_id}}
"""

TS_HANDLER = """
export const config = { type: 'event', name: 'SoakHandled', subscribes: ['soak.order'], emits: [] }

export const handler = async (input: { id: string }, ctx: any) => {
  const order = await ctx.state.get('orders', input.id)
  await ctx.state.set('handled', input.id, { found: order !== null && order !== undefined, attempt: ctx.attempt })
}
"""

ROUTES = {"py": "/soak/py", "ts": "/soak/ts", "post": "/soak/orders"}
ROUTE_CYCLE = tuple(ROUTES)  # request n goes to ROUTE_CYCLE[n % 3]: an even mix
SOAK_PREFIX = "soak-"  # ids of phase 2; phase 1 posts "peak-..." ids, left out of the count

# wrk: each thread rotates the three routes; POST ids are unique per thread and request.
MIX_LUA = """
local started = 0
function setup(thread)
  started = started + 1
  thread:set("tid", started)
end
local n = 0
local headers = { ["Content-Type"] = "application/json" }
function request()
  n = n + 1
  local k = n % 3
  if k == 0 then return wrk.format("GET", "/soak/py") end
  if k == 1 then return wrk.format("GET", "/soak/ts") end
  return wrk.format("POST", "/soak/orders", headers, string.format('{"id":"peak-%d-%d"}', tid, n))
end
"""

RSS_GROWTH_MAX = 1.10
WARMUP_S = 30.0
RSS_WINDOW = 3  # samples per end, medians: one sample can land either side of a GC (Node's sawtooth)
IDLE_REUSE_S = 2.0  # well inside the host's 5 s keep-alive timeout
# The host kills a worker that has not answered a Cancel within 2 s (CANCEL_GRACE_S); wrk
# ending the peak drops its connections mid-request, which sends such Cancels.
SETTLE_S = 3.0


# ---------------------------------------------------------------- load generator (own process)


@dataclass
class LoadResult:
    sent: Counter[str] = field(default_factory=Counter)
    status: dict[str, Counter[int]] = field(default_factory=lambda: {r: Counter() for r in ROUTES})
    errors: dict[str, Counter[str]] = field(default_factory=lambda: {r: Counter() for r in ROUTES})
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in ROUTES})
    accepted_ids: list[str] = field(default_factory=list)
    max_lag_s: float = 0.0

    def as_dict(self, seconds: float) -> dict[str, Any]:
        routes = {
            r: {
                "sent": self.sent[r],
                "status": {str(k): v for k, v in sorted(self.status[r].items())},
                "errors": dict(self.errors[r]),
                "p50_ms": percentile(self.latencies_ms[r], 0.50),
                "p99_ms": percentile(self.latencies_ms[r], 0.99),
            }
            for r in ROUTES
        }
        return {"seconds": seconds, "max_lag_s": self.max_lag_s, "routes": routes, "accepted_ids": self.accepted_ids}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class LoadSpec:
    """One run of the load generator."""

    url: str
    rate: float  # requests/s over all routes
    seconds: float
    concurrency: int  # most requests in flight
    client: str  # "raw" or "httpx": see make_client

    def argv(self, out: Path) -> list[str]:
        return [
            *("--url", self.url, "--rate", f"{self.rate:.3f}", "--seconds", str(self.seconds)),
            *("--concurrency", str(self.concurrency), "--client", self.client, "--out", str(out)),
        ]


# route path, JSON body or None for a GET -> HTTP status
Send = Callable[[str, bytes | None], Awaitable[int]]


class RawConnection:
    """One keep-alive HTTP/1.1 connection to the host, for the raw client.

    Knows only what the host answers with: a Content-Length body (the host sends one for
    every api response); anything else raises, which counts as an error.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.idle_since = time.monotonic()

    def stale(self) -> bool:
        # The host closes a connection idle for 5 s (its keep-alive timeout); reusing one it is
        # closing would fail the request. A request is never retried here, so never risk it.
        return time.monotonic() - self.idle_since > IDLE_REUSE_S or (self.reader is not None and self.reader.at_eof())

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """(status, whether the connection may be reused)."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower().split("\r\n")
        headers = dict(line.split(":", 1) for line in head[1:] if ":" in line)
        if "content-length" not in headers:
            raise ValueError(f"response without Content-Length: {head[0]!r}")
        await self.reader.readexactly(int(headers["content-length"]))
        return int(head[0].split()[1]), headers.get("connection", "").strip() != "close"

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class RawClient:
    """A pool of RawConnections: a request takes an idle one or opens one; the caller bounds how many."""

    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.idle: list[RawConnection] = []

    async def send(self, path: str, body: bytes | None) -> int:
        head = f"{'POST' if body is not None else 'GET'} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        conn = self.take()
        try:
            status, reusable = await asyncio.wait_for(conn.exchange(head.encode() + b"\r\n" + (body or b"")), 10)
        except BaseException:
            conn.close()  # a half-read answer would be read as the next request's
            raise
        if reusable:
            conn.idle_since = time.monotonic()
            self.idle.append(conn)
        else:
            conn.close()
        return status

    def take(self) -> RawConnection:
        """The most recently used idle connection that is still fresh (LIFO keeps few of them warm)."""
        while self.idle:
            conn = self.idle.pop()
            if not conn.stale():
                return conn
            conn.close()
        return RawConnection(self.host, self.port)

    def close(self) -> None:
        for conn in self.idle:
            conn.close()


@asynccontextmanager
async def make_client(spec: LoadSpec) -> AsyncIterator[Send]:
    """`send` of the raw client, or of httpx (why raw by default: the module's docstring)."""
    if spec.client == "raw":
        raw = RawClient(spec.url)
        try:
            yield raw.send
        finally:
            raw.close()
        return
    limits = httpx.Limits(max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency)
    async with httpx.AsyncClient(base_url=spec.url, limits=limits, timeout=10) as client:

        async def send(path: str, body: bytes | None) -> int:
            if body is None:
                return (await client.get(path)).status_code
            return (await client.post(path, content=body, headers={"content-type": "application/json"})).status_code

        yield send


async def one_request(send: Send, n: int, result: LoadResult) -> None:
    route = ROUTE_CYCLE[n % len(ROUTE_CYCLE)]
    order_id = f"{SOAK_PREFIX}{n}"
    body = json.dumps({"id": order_id}).encode() if route == "post" else None
    result.sent[route] += 1
    started = time.perf_counter()
    try:
        status = await send(ROUTES[route], body)
    except Exception as exc:  # any failure is a soak error, counted by kind; the run goes on
        result.errors[route][type(exc).__name__] += 1
        return
    result.latencies_ms[route].append((time.perf_counter() - started) * 1000)
    result.status[route][status] += 1
    if route == "post" and 200 <= status < 300:
        result.accepted_ids.append(order_id)


async def generate(spec: LoadSpec) -> dict[str, Any]:
    """Start request n at t0 + n / rate, for `seconds`; never more than `concurrency` in flight.

    When the host falls behind, the next request waits for a free slot: the achieved rate
    drops (and shows in the summary) instead of an unbounded pile of requests building up.
    """
    result = LoadResult()
    slots = asyncio.Semaphore(spec.concurrency)
    tasks: set[asyncio.Task[None]] = set()

    async def guarded(n: int) -> None:
        try:
            await one_request(send, n, result)
        finally:
            slots.release()

    async with make_client(spec) as send:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        n = 0
        print("go", flush=True)  # the parent starts its clock (and RSS sampling) here
        while loop.time() - t0 < spec.seconds:
            due = t0 + n / spec.rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            await slots.acquire()
            result.max_lag_s = max(result.max_lag_s, loop.time() - due)
            task = asyncio.create_task(guarded(n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        await asyncio.gather(*tasks)
        # Its own CPU: on a small machine the generator competes with the host for the cores.
        return result.as_dict(loop.time() - t0) | {"cpu_s": time.process_time()}


def load_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="soak_bench.py --_load")
    p.add_argument("--url", required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--client", choices=("raw", "httpx"), required=True)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    spec = LoadSpec(a.url, a.rate, a.seconds, a.concurrency, a.client)
    a.out.write_text(json.dumps(asyncio.run(generate(spec))))
    return 0


# ---------------------------------------------------------------- the bench


def write_project() -> Path:
    project = Path(tempfile.mkdtemp(prefix="stephost-soak-bench-"))
    (project / "steps").mkdir()
    for name, source in {
        "soak_py_step.py": PY_GET,
        "soak_ts.step.ts": TS_GET,
        "soak_order_step.py": PY_POST,
        "soak_handled.step.ts": TS_HANDLER,
    }.items():
        (project / "steps" / name).write_text(source)
    (project / "mix.lua").write_text(MIX_LUA)
    return project


def run_wrk_mix(host: HostProcess, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), host.url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    return parse_wrk(out)


def read_only(path: Path) -> sqlite3.Connection:
    # Read-only, so the bench can never write to the host's files; WAL lets it read while the host writes.
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


def queue_depth(host: HostProcess) -> tuple[int, int]:
    """(deliveries not yet done, dead letters) from the host's SQLite queue: the HTTP API has no depth."""
    conn = read_only(host.data_dir / "events.sqlite3")
    try:
        pending = conn.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
        dead = conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0]
    finally:
        conn.close()
    return int(pending), int(dead)


def wait_drained(host: HostProcess, timeout_s: float) -> tuple[float, int]:
    """Seconds until the event queue is empty, and what is still queued if `timeout_s` ran out first."""
    started = time.monotonic()
    while True:
        pending, _ = queue_depth(host)
        waited = time.monotonic() - started
        if pending == 0 or waited >= timeout_s:
            return waited, pending
        time.sleep(0.2)


def settle(host: HostProcess, since: float, timeout_s: float = 30.0) -> None:
    """Until SETTLE_S after `since` (the peak's end) and every worker is ready again.

    So that a worker the host restarts over the peak's dropped requests is back before the
    soak starts: its restart belongs to the peak, not to the soak's errors or RSS.
    """
    time.sleep(max(0.0, since + SETTLE_S - time.monotonic()))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        workers = httpx.get(host.url + "/__stephost/workers", timeout=10).json()["workers"]
        if all(w["state"] == "ready" and w["pid"] for w in workers):
            return
        time.sleep(0.2)
    raise RuntimeError(f"workers not all ready {timeout_s} s after the peak")


def handled_records(host: HostProcess) -> dict[str, dict[str, Any]]:
    """id -> what the event step recorded, for the ids of phase 2 only."""
    conn = read_only(host.data_dir / "state.sqlite3")
    try:
        rows = conn.execute(
            "SELECT key, value FROM state WHERE grp = 'handled' AND key LIKE ?", (f"{SOAK_PREFIX}%",)
        ).fetchall()
    finally:
        conn.close()
    return {key: json.loads(value) for key, value in rows}


def sample_rss(host: HostProcess, t: float) -> dict[str, Any]:
    """RSS MiB of the host and of each worker's process tree (by step name); restarts beside them."""
    assert host.proc is not None
    workers = httpx.get(host.url + "/__stephost/workers", timeout=10).json()["workers"]
    sample: dict[str, Any] = {"t": round(t, 1), "rss": {"host": rss_mib(host.proc.pid)}, "restarts": {}}
    for w in workers:
        sample["restarts"][w["step"]] = w["restarts"]
        if w["pid"]:
            try:
                sample["rss"][w["step"]] = tree_rss_mib(w["pid"])
            except psutil.NoSuchProcess:  # restarted between the status call and this read
                continue
    return sample


def run_load(spec: LoadSpec, tick: Callable[[float], None], tick_s: float) -> dict[str, Any]:
    """Run the load generator (its own process) to the end; call `tick(seconds since its start)`
    every `tick_s` meanwhile. Returns its counts."""
    fd, name = tempfile.mkstemp(prefix="stephost-soak-load-", suffix=".json")
    os.close(fd)
    out = Path(name)
    loadgen = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--_load", *spec.argv(out)], stdout=subprocess.PIPE
    )
    try:
        assert loadgen.stdout is not None
        if loadgen.stdout.readline().strip() != b"go":
            raise RuntimeError(f"load generator did not start (exit {loadgen.wait()})")
        started = time.monotonic()
        while True:
            tick(time.monotonic() - started)
            try:
                loadgen.wait(timeout=tick_s)
                break
            except subprocess.TimeoutExpired:
                # Bounded: in-flight requests time out after 10 s, so the generator ends soon after `seconds`.
                if time.monotonic() - started > spec.seconds + 60:
                    raise RuntimeError("load generator ran 60 s past its time") from None
        if loadgen.returncode != 0:
            raise RuntimeError(f"load generator exited with {loadgen.returncode}")
        result: dict[str, Any] = json.loads(out.read_text())
        return result
    finally:
        leftovers = stop_process(loadgen)  # only does anything when the run failed
        if leftovers:
            print(f"warning: load generator left processes behind, killed: {leftovers}", file=sys.stderr)
        out.unlink(missing_ok=True)


def achieved_rps(load: dict[str, Any]) -> float:
    return float(sum(r["sent"] for r in load["routes"].values()) / load["seconds"])


def rss_ends(samples: list[dict[str, Any]], seconds: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The samples each end is read from: the first RSS_WINDOW after the warm-up, the last RSS_WINDOW."""
    warmup = min(WARMUP_S, seconds / 4)
    after = [s for s in samples if s["t"] >= warmup] or samples[-1:]
    return after[:RSS_WINDOW], after[-RSS_WINDOW:]


def median_rss(window: list[dict[str, Any]]) -> dict[str, float]:
    """Per process ("host" and each step), the median over `window`."""
    names = {name for s in window for name in s["rss"]}
    return {n: statistics.median(s["rss"][n] for s in window if n in s["rss"]) for n in names}


def workers_total(rss: dict[str, float]) -> float:
    return sum(v for name, v in rss.items() if name != "host")


def soak_errors(load: dict[str, Any]) -> int:
    non_2xx = sum(n for r in load["routes"].values() for code, n in r["status"].items() if not code.startswith("2"))
    transport = sum(sum(r["errors"].values()) for r in load["routes"].values())
    return int(non_2xx + transport)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    project = write_project()
    seconds = args.minutes * 60
    samples: list[dict[str, Any]] = []
    try:
        with HostProcess(project, extra_args=["--log-level", "warn"]) as host:
            run_wrk_mix(host, project / "mix.lua", 1, args.connections)  # warm-up: imports, JIT, connections
            peak = run_wrk_mix(host, project / "mix.lua", args.peak_seconds, args.connections)
            peak_end = time.monotonic()
            peak_drain_s, _ = wait_drained(host, args.drain_timeout)
            settle(host, peak_end)
            rate = peak["rps"] / 2
            print(f"soak: peak of the mix {peak['rps']:.0f} req/s; {args.minutes:g} min at {rate:.0f} req/s")
            spec = LoadSpec(host.url, rate, seconds, args.concurrency, args.client)
            load = run_load(
                spec,
                lambda t: samples.append(sample_rss(host, t)),
                min(args.sample_seconds, seconds / 10),  # at least ~10 samples in a short phase
            )
            drain_s, still_queued = wait_drained(host, args.drain_timeout)
            _, dead = queue_depth(host)
            handled = handled_records(host)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    accepted = set(load.pop("accepted_ids"))
    return {
        "peak": peak,
        "peak_drain_s": peak_drain_s,
        "rate": rate,
        "load": load,
        "samples": samples,
        "drain_s": drain_s,
        "still_queued": still_queued,
        "dead_letters": dead,
        "accepted": len(accepted),
        "handled": len(handled),
        "lost": len(accepted - handled.keys()),
        "duplicates": len(handled.keys() - accepted),
        "redelivered": sum(1 for v in handled.values() if v.get("attempt", 1) > 1),
        "order_not_found": sum(1 for v in handled.values() if not v.get("found")),
    }


def growth_line(name: str, first: float, last: float, top: float | None) -> str:
    peak = f"{top:>8.1f}" if top is not None else " " * 8
    return f"{name:<14} {first:>8.1f} {last:>8.1f} {peak} {100 * (last / first - 1):>+7.1f}%"


def print_details(m: dict[str, Any], args: argparse.Namespace) -> tuple[dict[str, float], dict[str, float]]:
    """Print the soak's tables; return the RSS (MiB by process) at its start and at its end."""
    load = m["load"]
    peak = m["peak"]
    print(f"\nsoak, {args.minutes:g} min at {m['rate']:.0f} req/s, {args.client} client")
    print(
        f"(50 % of the peak of the mix, wrk c{args.connections}: {peak['rps']:.0f} req/s, {peak['errors']:.0f} errors)"
    )
    print(
        f"achieved {achieved_rps(load):.0f} req/s over {load['seconds']:.1f} s; the generator lagged its schedule "
        f"by {load['max_lag_s']:.3f} s at most and used {100 * load['cpu_s'] / load['seconds']:.0f} % of a core"
    )
    print(f"{'route':<6} {'sent':>9} {'p50 ms':>8} {'p99 ms':>8}  status / errors")
    for name, r in load["routes"].items():
        p50, p99 = (f"{r[k]:.2f}" if r[k] is not None else "-" for k in ("p50_ms", "p99_ms"))
        print(f"{name:<6} {r['sent']:>9} {p50:>8} {p99:>8}  {r['status']} {r['errors'] or ''}")
    print(
        f"events: accepted {m['accepted']}, handled {m['handled']}, lost {m['lost']}, duplicates {m['duplicates']}, "
        f"redelivered {m['redelivered']}, order not found {m['order_not_found']}, dead letters {m['dead_letters']}; "
        f"drained {m['drain_s']:.1f} s after the load"
        + (f", STILL QUEUED {m['still_queued']}" if m["still_queued"] else "")
    )
    start_window, end_window = rss_ends(m["samples"], args.minutes * 60)
    start, end = median_rss(start_window), median_rss(end_window)
    span = " to ".join(f"{w[0]['t']:.0f}-{w[-1]['t']:.0f} s" for w in (start_window, end_window))
    print(f"\nRSS MiB (workers: process trees), medians of the samples at {span} of the load")
    print(f"{'process':<14} {'start':>8} {'end':>8} {'max':>8} {'growth':>8}")
    for name in ["host", *sorted(n for n in end if n != "host")]:
        print(growth_line(name, start[name], end[name], max(s["rss"].get(name, 0.0) for s in m["samples"])))
    print(growth_line("workers total", workers_total(start), workers_total(end), None))
    before, after = m["samples"][0]["restarts"], m["samples"][-1]["restarts"]
    if any(before.values()):
        print(f"note: workers restarted during the peak, before the soak: {before} (see the host's log)")
    restarts = {k: v for k, v in after.items() if v != before.get(k)}
    if restarts:
        print(f"warning: workers restarted during the soak (their RSS restarted too): {restarts}")
    return start, end


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="mixed soak at 50 % of peak: RSS growth, errors, lost events")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak at 50 %% of peak")
    parser.add_argument("--peak-seconds", type=int, default=5, help="wrk duration of the peak measurement")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for the peak")
    parser.add_argument("--concurrency", type=int, default=32, help="most requests in flight during the soak")
    parser.add_argument("--sample-seconds", type=float, default=10.0, help="RSS sampling interval")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="the soak's HTTP client")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="most seconds to wait for the events")
    return parser


def run(args: argparse.Namespace) -> list[Figure]:
    """Measure, print the detailed tables, write bench/results/soak.json; return the summary rows."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is needed: apt-get install wrk")
    m = measure(args)
    start, end = print_details(m, args)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "soak.json").write_text(json.dumps({"settings": vars(args), **m}, indent=2))

    load = m["load"]
    minutes = f"{args.minutes:g} min"
    rss_target = Target.ratio_max(RSS_GROWTH_MAX)
    return [
        Figure(f"soak {minutes}: errors", soak_errors(load), None, "errors", Target.maximum(0)),
        Figure(f"soak {minutes}: lost events", m["lost"], None, "events", Target.maximum(0)),
        Figure(f"soak {minutes}: duplicates (info)", m["duplicates"], None, "events"),
        Figure(f"soak {minutes}: RSS host, end vs start", end["host"], start["host"], "MiB", rss_target),
        Figure(
            f"soak {minutes}: RSS workers total, end vs start",
            workers_total(end),
            workers_total(start),
            "MiB",
            rss_target,
        ),
        Figure(f"soak {minutes}: achieved req/s vs peak (info)", achieved_rps(load), m["peak"]["rps"], "req/s"),
    ]


def main() -> int:
    if sys.argv[1:2] == ["--_load"]:
        return load_main(sys.argv[2:])
    args = parser().parse_args()
    print_table(run(args), f"soak, {args.minutes:g} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
