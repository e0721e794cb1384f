"""Stream updates per second from one step to 100 WebSocket subscribers, with delivery delays.

Usage: python bench/streams_bench.py [--messages 1000] [--clients 100] [--rounds 3] [--size 64]
                                     [--storage sqlite|memory] [--deflate]

A Python api step sets `--messages` items of one stream group in a loop, each carrying the
wall-clock time it was written (`time.time()` in the step). `--clients` WebSocket clients,
all in this process (one asyncio loop, apart from the servers), join that group with
Motia's join frame and note when each item arrives:

  updates/s    = messages / (last delivery at the slowest client - first delivery anywhere)
  deliveries/s = updates/s x clients
  written/s    = how fast the step's loop got its writes done
  delay        = receive time - written time, p50, p99 and max over every delivery

Baseline, same run: a bare `websockets` server (asyncio, `broadcast`, started as a
subprocess of this script) writing the same items in the same message shape to the same
number of clients. Targets alternate round by round; medians of the rounds.

The clients are a bare RFC 6455 client on an asyncio Protocol (no extensions; `websockets`
clients cost the receiving side several times more per message than the servers spend).
`--deflate` uses `websockets` clients offering permessage-deflate instead, as browsers and
Node's `ws` do. CPU use of the server (the host with its workers, or the baseline process)
and of the receiving process is printed per target: a receiver near 100 % means the
clients, not the server, set the pace. Every process started here is stopped here.
Figures go to bench/results/streams.json. The machine is shared: read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect

from stephost.testing import HostProcess, free_port

HERE = Path(__file__).resolve().parent
STREAM = "ticks"
CREATE, SYNC = '"type":"create"', '"type":"sync"'
ROUND_TIMEOUT_S = 120.0

STREAM_FILE = """
config = {"name": "ticks", "schema": {"type": "object"}, "baseConfig": {"storageType": "default"}}
"""

WRITER_STEP = """
import time

config = {
    "type": "api",
    "name": "Write",
    "path": "/write",
    "method": "POST",
    "emits": [],
    "infrastructure": {"handler": {"timeout": 600}},
}


async def handler(req, context):
    body = req.body
    pad = "x" * body["size"]
    for n in range(body["count"]):
        await context.streams.ticks.set(body["group"], f"i{n}", {"n": n, "t": time.time(), "pad": pad})
    return {"status": 200, "body": {"written": body["count"]}}
"""


# --- the baseline: a bare websockets server speaking the same join / change messages --------


async def serve_baseline(port: int) -> None:
    """Join frames get a sync; a {"type": "write"} frame broadcasts `count` creates to its group."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    groups: dict[str, set[ServerConnection]] = {}

    def message(group: str, item_id: str | None, event: dict[str, Any]) -> str:
        out: dict[str, Any] = {"timestamp": int(time.time() * 1000), "streamName": STREAM, "groupId": group}
        if item_id is not None:
            out["id"] = item_id
        out["event"] = event
        return json.dumps(out, separators=(",", ":"), ensure_ascii=False)

    async def handler(ws: ServerConnection) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                data = frame.get("data", {})
                if frame["type"] == "join":
                    groups.setdefault(data["groupId"], set()).add(ws)
                    await ws.send(message(data["groupId"], None, {"type": "sync", "data": []}))
                elif frame["type"] == "leave":
                    groups.get(data["groupId"], set()).discard(ws)
                elif frame["type"] == "write":  # stands in for the api step's loop
                    pad = "x" * data["size"]
                    group = data["group"]
                    for n in range(data["count"]):
                        item = {"n": n, "t": time.time(), "pad": pad, "id": f"i{n}"}
                        broadcast(groups.get(group, set()), message(group, f"i{n}", {"type": "create", "data": item}))
                        await asyncio.sleep(0)  # let the loop write, as an awaited store call would
                    await ws.send(json.dumps({"type": "written", "count": data["count"]}))
        finally:
            for members in groups.values():
                members.discard(ws)

    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, max_size=None):
        print("ready", flush=True)
        await stop


# --- the receiving side -----------------------------------------------------------------------


class Receiver:
    """One subscribed client: notes when each of the round's creates arrives; parses them afterwards.

    The hot path only takes the time and keeps the text, so the receiving process spends as
    little as it can per message; the JSON is read once the round is over.
    """

    def __init__(self, index: int) -> None:
        self.index = index
        self.group = ""
        self.expected = 0
        self.received: list[tuple[float, str]] = []
        loop = asyncio.get_running_loop()
        self.synced: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self.close_info = ""

    def on_message(self, now: float, text: str) -> None:
        if CREATE in text:
            self.received.append((now, text))
            if len(self.received) == self.expected and not self.done.done():
                self.done.set_result(None)
        elif SYNC in text and not self.synced.done():
            self.synced.set_result(None)

    def samples(self) -> list[tuple[float, float]]:
        """(received, written) of each of this round's creates."""
        out = []
        for now, text in self.received:
            message = json.loads(text)
            assert message["groupId"] == self.group, message
            out.append((now, message["event"]["data"]["t"]))
        return out

    def frame(self, kind: str) -> str:
        data = {"streamName": STREAM, "groupId": self.group, "subscriptionId": f"bench-{self.index}"}
        return json.dumps({"type": kind, "data": data})

    async def join(self, group: str, expected: int) -> None:
        if self.group:
            await self.send(self.frame("leave"))
        loop = asyncio.get_running_loop()
        self.group, self.expected, self.received = group, expected, []
        self.synced, self.done = loop.create_future(), loop.create_future()
        await self.send(self.frame("join"))

    def status(self) -> str:
        return f"{len(self.received)}/{self.expected}{self.close_info}"

    async def send(self, text: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class RawReceiver(Receiver, asyncio.Protocol):
    """A bare RFC 6455 client on an asyncio Protocol: no extensions, frames parsed in place.

    `websockets` costs the receiving process several times more per message than the
    servers under test spend sending it; this keeps the clients from setting the pace.
    """

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.fragments: list[bytes] = []

    @classmethod
    async def open(cls, url: str, index: int) -> RawReceiver:
        host_port = url.removeprefix("ws://").split("/", 1)[0]
        host, port = host_port.rsplit(":", 1)
        loop = asyncio.get_running_loop()
        _, receiver = await loop.create_connection(lambda: cls(index), host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        assert receiver.transport is not None
        receiver.transport.write(
            f"GET / HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await asyncio.wait_for(receiver.upgraded, 30)
        return receiver

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(f"closed during the handshake: {exc}"))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buffer
        buf += data
        if not self.upgraded.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status + b" ":
                self.upgraded.set_exception(ConnectionError(f"upgrade refused: {status!r}"))
                return
            self.upgraded.set_result(None)
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            self.on_frame(now, b0 & 0x0F, bool(b0 & 0x80), payload)
        del buf[:pos]

    def on_frame(self, now: float, opcode: int, fin: bool, payload: bytes) -> None:
        if opcode in (0x1, 0x0):  # text, continuation
            self.fragments.append(payload)
            if fin:
                text = b"".join(self.fragments).decode()
                self.fragments = []
                self.on_message(now, text)
        elif opcode == 0x9:  # ping
            self.write_frame(0xA, payload)
        elif opcode == 0x8:  # close: answer it, then hang up
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.close_info = f", closed {code} {payload[2:].decode(errors='replace')!r}"
            self.write_frame(0x8, payload[:2])
            if self.transport is not None:
                self.transport.close()

    def write_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        size = len(payload)
        head = bytes([0x80 | opcode]) + (
            bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + size.to_bytes(2, "big")
        )
        mask = os.urandom(4)
        keystream = (mask * (size // 4 + 1))[:size]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(size, "big")
        self.transport.write(head + mask + masked)

    async def send(self, text: str) -> None:
        self.write_frame(0x1, text.encode())

    async def close(self) -> None:
        self.write_frame(0x8, (1000).to_bytes(2, "big"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), 2)
        if self.transport is not None:
            self.transport.close()


class DeflateReceiver(Receiver):
    """A `websockets` client with permessage-deflate on, as browsers and Node's `ws` offer it."""

    def __init__(self, ws: ClientConnection, index: int) -> None:
        super().__init__(index)
        self.ws = ws
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, index: int) -> DeflateReceiver:
        return cls(await connect(url, max_size=None, compression="deflate"), index)

    async def _read(self) -> None:
        async for text in self.ws:
            self.on_message(time.time(), str(text))
        self.close_info = f", closed {self.ws.close_code} {self.ws.close_reason!r}"

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(BaseException):
            await self.reader


async def open_receivers(url: str, count: int, deflate: bool) -> list[Receiver]:
    kind: type[RawReceiver] | type[DeflateReceiver] = DeflateReceiver if deflate else RawReceiver
    return list(await asyncio.gather(*(kind.open(url, i) for i in range(count))))


def percentile(sorted_values: list[float], pct: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its children (the host and its workers)."""
    total = 0.0
    try:
        proc = psutil.Process(pid)
        for p in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = p.cpu_times()
                total += times.user + times.system
    except psutil.NoSuchProcess:
        pass
    return total


async def one_round(
    receivers: list[Receiver],
    group: str,
    count: int,
    write: Callable[[str, int], Coroutine[Any, Any, None]],
    server_pid: int,
) -> dict[str, float]:
    for r in receivers:
        await r.join(group, count)
    await asyncio.wait_for(asyncio.gather(*(r.synced for r in receivers)), 30)
    cpu0, server0, wall0 = time.process_time(), cpu_seconds(server_pid), time.perf_counter()
    writer = asyncio.create_task(write(group, count))
    delivered: asyncio.Future[list[None]] = asyncio.gather(*(r.done for r in receivers))
    try:
        async with asyncio.timeout(ROUND_TIMEOUT_S):
            pending: set[asyncio.Future[Any]] = {writer, delivered}
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if writer.done() and writer.exception() is not None:
                delivered.cancel()
                await writer  # the step failed: say why
            await delivered
    except TimeoutError:
        writer.cancel()
        behind = [f"client {r.index}: {r.status()}" for r in receivers if not r.done.done()]
        raise RuntimeError(
            f"round {group} not delivered within {ROUND_TIMEOUT_S} s: " + "; ".join(behind[:5])
        ) from None
    cpu, server, wall = time.process_time() - cpu0, cpu_seconds(server_pid) - server0, time.perf_counter() - wall0
    await asyncio.wait_for(writer, 30)
    samples = [r.samples() for r in receivers]
    first = min(s[0][0] for s in samples)
    last = max(s[-1][0] for s in samples)
    written = sorted(t for _, t in samples[0])
    delays = sorted((got - sent) * 1000 for s in samples for got, sent in s)
    span = last - first
    return {
        "updates_per_s": count / span,
        "deliveries_per_s": count * len(receivers) / span,
        "written_per_s": count / max(written[-1] - written[0], 1e-9),
        "p50_ms": percentile(delays, 50),
        "p99_ms": percentile(delays, 99),
        "max_ms": delays[-1],
        "receiver_cpu_pct": 100 * cpu / wall,
        "server_cpu_pct": 100 * server / wall,
    }


# --- the two targets ----------------------------------------------------------------------------


def make_project(max_pending: int) -> Path:
    project = Path(tempfile.mkdtemp(prefix="stephost-streams-bench-"))
    (project / "steps").mkdir()
    (project / "steps" / "ticks_stream.py").write_text(STREAM_FILE)
    (project / "steps" / "write_step.py").write_text(WRITER_STEP)
    (project / "stephost.json").write_text(json.dumps({"streams": {"maxPending": max_pending}}))
    return project


def start_baseline(port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--baseline-server", str(port)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        stop_process(proc)
        raise RuntimeError("the baseline server did not start")
    return proc


def stop_process(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


async def measure(
    args: argparse.Namespace, host: HostProcess, baseline: subprocess.Popen[str], base_port: int
) -> dict[str, list[dict[str, float]]]:
    http = httpx.AsyncClient(base_url=host.url, timeout=ROUND_TIMEOUT_S)
    control = await connect(f"ws://127.0.0.1:{base_port}", max_size=None)

    async def host_write(group: str, count: int) -> None:
        r = await http.post("/write", json={"group": group, "count": count, "size": args.size})
        r.raise_for_status()

    async def baseline_write(group: str, count: int) -> None:
        await control.send(json.dumps({"type": "write", "data": {"group": group, "count": count, "size": args.size}}))
        assert json.loads(await control.recv())["type"] == "written"

    assert host.proc is not None
    targets: dict[str, tuple[str, Callable[[str, int], Coroutine[Any, Any, None]], int]] = {
        "bare websockets broadcast": (f"ws://127.0.0.1:{base_port}", baseline_write, baseline.pid),
        "stephost, Python step": (host.url.replace("http://", "ws://"), host_write, host.proc.pid),
    }
    receivers: dict[str, list[Receiver]] = {}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    try:
        for name, (url, _, _) in targets.items():
            receivers[name] = await open_receivers(url, args.clients, args.deflate)
        for name, (_, write, pid) in targets.items():  # warm-up: imports, worker, SQLite, buffers
            await one_round(receivers[name], "warm-up", min(200, args.messages), write, pid)
        for n in range(1, args.rounds + 1):
            for name, (_, write, pid) in targets.items():
                figures = await one_round(receivers[name], f"round-{n}", args.messages, write, pid)
                samples[name].append(figures)
                print(f"  round {n} {name:<26} {figures['updates_per_s']:>8.0f} updates/s", flush=True)
    finally:
        for group in receivers.values():
            await asyncio.gather(*(r.close() for r in group), return_exceptions=True)
        await control.close()
        await http.aclose()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000, help="items the step writes per round")
    parser.add_argument("--clients", type=int, default=100, help="subscribed WebSocket clients")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=64, help="padding characters per item")
    parser.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument(
        "--deflate", action="store_true", help="clients offer permessage-deflate (websockets clients, slower)"
    )
    parser.add_argument("--baseline-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        asyncio.run(serve_baseline(args.baseline_server))
        return 0

    # No client may be cut off as too slow: every message of a round fits in its outbox.
    max_pending = max(1000, args.messages + 100)
    project = make_project(max_pending)
    baseline: subprocess.Popen[str] | None = None
    host: HostProcess | None = None
    try:
        base_port = free_port()
        baseline = start_baseline(base_port)
        host = HostProcess(project, extra_args=["--storage", args.storage, "--log-level", "warn"])
        host.start()
        samples = asyncio.run(measure(args, host, baseline, base_port))
    finally:
        if host is not None:
            host.stop()
        if baseline is not None:
            stop_process(baseline)
        shutil.rmtree(project, ignore_errors=True)

    keys = (
        "updates_per_s",
        "deliveries_per_s",
        "written_per_s",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "server_cpu_pct",
        "receiver_cpu_pct",
    )
    medians = {name: {k: statistics.median(s[k] for s in runs) for k in keys} for name, runs in samples.items()}
    base = medians["bare websockets broadcast"]
    print(
        f"\nstream fan-out: {args.messages} items x {args.clients} clients, {args.size} B padding, "
        f"storage {args.storage}, maxPending {max_pending}, {args.rounds} rounds, medians "
        f"({time.strftime('%Y-%m-%d %H:%M')})"
    )
    print(
        f"{'target':<26} {'updates/s':>10} {'deliv./s':>10} {'written/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'srv CPU':>8} {'recv CPU':>9} {'vs bare':>8}"
    )
    for name, m in medians.items():
        print(
            f"{name:<26} {m['updates_per_s']:>10.0f} {m['deliveries_per_s']:>10.0f} {m['written_per_s']:>10.0f} "
            f"{m['p50_ms']:>8.1f} {m['p99_ms']:>8.1f} {m['max_ms']:>8.1f} {m['server_cpu_pct']:>7.0f}% "
            f"{m['receiver_cpu_pct']:>8.0f}% "
            f"{m['updates_per_s'] / base['updates_per_s']:>7.2f}x"
        )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "baseline_server"} | {"max_pending": max_pending}
    (results / "streams.json").write_text(
        json.dumps({"settings": settings, "medians": medians, "samples": samples}, indent=2)
    )
    print(f"\nwritten: {results / 'streams.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
