"""Many hosts, one Redis: two real hosts on two ports share state, events, streams and cron.

Every test runs under its own key prefix on the local Redis and deletes it after; the
outage test starts a private redis-server (on its own port, with an append-only file so
a restart keeps the data) and stops it by pid.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis

from stephost.streams.client import StreamClient, StreamError, Subscription
from stephost.testing import HostProcess, free_port, wait_for
from tests.redis_support import REDIS_URL, delete_prefix, new_prefix

PROJECT = Path(__file__).parent / "projects" / "scaleout"


def start_hosts(stack: ExitStack, url: str, prefix: str, count: int = 2) -> list[HostProcess]:
    args = ["--redis", url, "--redis-prefix", prefix, "--log-format", "json"]
    return [stack.enter_context(HostProcess(PROJECT, extra_args=args)) for _ in range(count)]


@pytest.fixture
def prefix() -> Iterator[str]:
    name = new_prefix()
    yield name
    delete_prefix(name)


@pytest.fixture
def two_hosts(prefix: str) -> Iterator[list[HostProcess]]:
    with ExitStack() as stack:
        yield start_hosts(stack, REDIS_URL, prefix)


def handled(host: HostProcess, group: str) -> list[int]:
    return list(httpx.get(f"{host.url}/handled/{group}", timeout=30).json())


def test_an_event_emitted_on_one_host_is_handled_once_per_subscriber_by_either_host(
    two_hosts: list[HostProcess],
) -> None:
    a, b = two_hosts
    for n in range(40):
        assert httpx.post(a.url + "/orders", json={"id": n}, timeout=30).status_code == 202
    for group in ("billed", "shipped"):
        seen = wait_for(lambda group=group: (h := handled(b, group)) and len(h) >= 40 and h, timeout_s=60)
        assert sorted(seen) == list(range(40)), group  # each exactly once, read through the other host
    time.sleep(1.5)  # a duplicate would need a second claim: give both hosts' pollers a full round
    assert len(handled(a, "billed")) == 40 and len(handled(a, "shipped")) == 40


async def test_a_stream_client_on_one_host_sees_a_change_made_by_a_step_on_the_other(
    two_hosts: list[HostProcess],
) -> None:
    a, b = two_hosts
    async with StreamClient(b.url.replace("http", "ws") + "/") as client:
        sub = await client.subscribe_group("board", "lobby")
        assert await sub.sync() == []
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.put(a.url + "/board/lobby/n1", json={"text": "made on host A"})
            assert r.status_code == 200
            assert await sub.next_change() == {"type": "create", "data": {"text": "made on host A", "id": "n1"}}
            await http.put(a.url + "/board/lobby/n1", json={"text": "edited on host A"})
            assert await sub.next_change() == {"type": "update", "data": {"text": "edited on host A", "id": "n1"}}


def test_a_cron_step_due_every_second_runs_once_per_slot_with_both_hosts_up(prefix: str) -> None:
    with ExitStack() as stack:
        a, _b = start_hosts(stack, REDIS_URL, prefix)
        wait_for(lambda: len(handled(a, "ticks")) >= 10, timeout_s=60)
    # Both hosts are stopped: count, straight from Redis, the slots claimed and the runs done.
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        slots = list(client.scan_iter(match=f"{prefix}:cron:Tick:*"))
        runs = client.hlen(f"{prefix}:state:ticks")
    finally:
        client.close()
    assert len(slots) >= 10
    # One run per claimed slot: never more (two hosts running one slot would add a run).
    # A slot claimed just as the hosts stopped may not have written its run yet.
    assert len(slots) - 2 <= runs <= len(slots), (runs, len(slots))


def test_a_host_killed_mid_way_leaves_nothing_undone_the_other_finishes_every_event(prefix: str) -> None:
    with ExitStack() as stack:
        a, b = start_hosts(stack, REDIS_URL, prefix)
        for first in range(0, 1000, 250):
            r = httpx.post(a.url + "/bulk", json={"first": first, "count": 250}, timeout=60)
            assert r.status_code == 202
        wait_for(lambda: len(handled(b, "billed")) > 100, timeout_s=60)
        a.kill()  # SIGKILL mid-way: its claimed deliveries are reclaimed by b after the lease
        for group in ("billed", "shipped"):
            done = wait_for(lambda group=group: (h := handled(b, group)) and len(set(h)) == 1000 and h, timeout_s=120)
            assert set(done) == set(range(1000)), group  # nothing lost (at least once: a few may repeat)


def test_an_unreachable_redis_at_start_is_refused_with_a_clear_message(prefix: str) -> None:
    port = free_port()
    result = subprocess.run(
        [
            *HostProcess(PROJECT).command()[:5],
            "--port",
            str(free_port()),
            "--redis",
            f"redis://:hunter2@127.0.0.1:{port}/0",
            "--redis-prefix",
            prefix,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert f"Redis at redis://***@127.0.0.1:{port}/0 is unavailable" in result.stdout
    assert "hunter2" not in result.stdout + result.stderr


def outage_warnings(host: HostProcess) -> list[str]:
    """What the host's event loops said about the outage (a wait, then the recovery)."""
    return [
        r["msg"]
        for r in host.log_records()
        if r.get("level") == "warn" and str(r.get("msg", "")).startswith("events for step ")
    ]


async def join_when_ready(client: StreamClient, stream: str, group: str) -> Subscription:
    """Join until a sync comes back (each refused join is answered with an error event)."""
    deadline = time.monotonic() + 30
    while True:
        sub = await client.subscribe_group(stream, group)
        try:
            await sub.sync()
            return sub
        except StreamError:
            if time.monotonic() > deadline:
                raise
            await sub.leave()
            await asyncio.sleep(0.2)


class PrivateRedis:
    """A redis-server of the test's own, on a free loopback port, durable across its restarts."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--dir", str(self.data_dir),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        try:
            wait_for(lambda: _pings(client), timeout_s=10)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # a clean stop: the append-only file is complete
            self.proc.wait(10)
        self.proc = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


async def test_both_hosts_ride_out_a_redis_restart_without_losing_an_event(tmp_path: Path, prefix: str) -> None:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        with ExitStack() as stack:
            a, b = start_hosts(stack, server.url, prefix)
            async with httpx.AsyncClient(timeout=30) as http:
                for n in range(20):
                    assert (await http.post(a.url + "/orders", json={"id": n})).status_code == 202
                await asyncio.to_thread(
                    wait_for, lambda: len(set(handled(b, "billed"))) == 20 and len(set(handled(b, "shipped"))) == 20
                )
                async with StreamClient(b.url.replace("http", "ws") + "/") as watcher:
                    server.stop()
                    down = await http.post(a.url + "/orders", json={"id": 999})
                    assert down.status_code == 503, down.text
                    assert down.json()["code"] == "STORAGE_UNAVAILABLE"
                    assert "is unavailable" in down.json()["error"]
                    with pytest.raises(StreamError) as refused:  # a join needs its sync from Redis
                        await (await watcher.subscribe_group("board", "lobby")).sync()
                    assert refused.value.code == "STORAGE_UNAVAILABLE"
                    # the event loops of both hosts notice, say so once, and keep asking (no crash)
                    for host in (a, b):
                        await asyncio.to_thread(wait_for, lambda host=host: outage_warnings(host), 15)
                    server.start()
                    # the same connection joins again once Redis is back, and hears host A's steps
                    sub = await join_when_ready(watcher, "board", "lobby")
                    await http.put(a.url + "/board/lobby/after", json={"text": "after the restart"})
                    change = await sub.next_change()
                    assert change == {"type": "create", "data": {"text": "after the restart", "id": "after"}}
                # no restart of either host: both reconnect on their own
                for n in range(20, 40):
                    r = await asyncio.to_thread(
                        wait_for,
                        lambda n=n: (r := httpx.post(a.url + "/orders", json={"id": n}, timeout=30)).status_code
                        == 202
                        and r,
                    )
                    assert r.status_code == 202
                for host in (a, b):
                    for group in ("billed", "shipped"):
                        seen = await asyncio.to_thread(
                            wait_for,
                            lambda host=host, group=group: (h := set(handled(host, group))) >= set(range(40)) and h,
                            60,
                        )
                        assert 999 not in seen  # refused with 503: never stored, never handled
            assert a.proc is not None and b.proc is not None
            assert a.proc.poll() is None and b.proc.poll() is None  # neither host crashed
            assert all(any("flow again: the store is back" in m for m in outage_warnings(h)) for h in (a, b))
    finally:
        server.stop()
