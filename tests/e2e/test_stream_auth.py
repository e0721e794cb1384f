"""Stream auth: motia.config.ts `streamAuth.authenticate` and per-stream canAccess, in TS and Python workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from stephost.streams.client import StreamClient, StreamError
from stephost.testing import HostProcess

PROJECT = Path(__file__).parent / "projects" / "secure"


@pytest.fixture(scope="module")
def host() -> Iterator[HostProcess]:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"]) as h:
        yield h


def ws(host: HostProcess, query: str = "") -> str:
    return host.url.replace("http://", "ws://") + "/" + query


async def expect_denied(client: StreamClient, stream: str, group: str) -> None:
    sub = await client.subscribe_group(stream, group)
    with pytest.raises(StreamError) as denied:
        await sub.next_message()
    assert denied.value.code == "STREAM_ACCESS_DENIED"


async def test_an_anonymous_client_reads_public_streams_but_not_guarded_ones(host: HostProcess) -> None:
    async with StreamClient(ws(host)) as client:
        assert await (await client.subscribe_group("public", "all")).sync() == []
        await expect_denied(client, "private", "ada")
        await expect_denied(client, "inbox", "mail")


async def test_an_authenticated_client_joins_its_own_group_and_sees_changes(host: HostProcess) -> None:
    async with StreamClient(ws(host), headers={"authorization": "Bearer ada"}) as client:
        mine = await client.subscribe_group("private", "ada")
        assert await mine.sync() == []
        httpx.post(host.url + "/write/private/ada/n1", json={"text": "for ada"})
        assert await mine.next_change() == {"type": "create", "data": {"text": "for ada", "id": "n1"}}
        await expect_denied(client, "private", "bob")


async def test_the_auth_token_may_come_in_the_url(host: HostProcess) -> None:
    async with StreamClient(ws(host, "?authToken=carol")) as client:
        assert await (await client.subscribe_group("private", "carol")).sync() == []


async def test_a_throwing_authenticate_refuses_the_upgrade_with_401(host: HostProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with StreamClient(ws(host), headers={"authorization": "Bearer bad"}):
            pass
    assert refused.value.response.status_code == 401


async def test_a_python_can_access_guards_its_stream(host: HostProcess) -> None:
    async with StreamClient(ws(host), headers={"authorization": "Bearer admin"}) as admin:
        assert await (await admin.subscribe_group("inbox", "mail")).sync() == []
    async with StreamClient(ws(host), headers={"authorization": "Bearer ada"}) as user:
        await expect_denied(user, "inbox", "mail")


async def test_a_throwing_can_access_denies_and_is_logged(host: HostProcess) -> None:
    async with StreamClient(ws(host), headers={"authorization": "Bearer boom"}) as client:
        await expect_denied(client, "private", "boom")
    assert any("canAccess failed, join denied" in r.get("msg", "") for r in host.log_records())


async def test_can_access_runs_in_one_long_lived_worker_not_a_process_per_join(host: HostProcess) -> None:
    pid = host.worker_pids()["private"]
    async with StreamClient(ws(host), headers={"authorization": "Bearer ada"}) as client:
        for n in range(20):
            sub = await client.subscribe_group("private", "ada" if n % 2 else "bob")
            if n % 2:
                await sub.sync()
            else:
                with pytest.raises(StreamError):
                    await sub.next_message()
    assert host.worker_pids()["private"] == pid
