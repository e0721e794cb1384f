"""Per-kind message limits, seen from a real host: SDKs cut a huge log record down instead of
crossing the host's 1 MiB limit for a Log (a worker that crosses it is killed: see
tests/unit/host/test_rpc_guards.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from stephost.testing import HostProcess, wait_for

PROJECT = Path(__file__).parent / "projects" / "chatty"


@pytest.mark.parametrize(("step", "path"), [("PyBigLog", "/py/biglog"), ("TsBigLog", "/ts/biglog")])
def test_a_log_record_over_the_limit_is_cut_down_by_the_sdk_and_the_worker_lives(step: str, path: str) -> None:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"]) as host:
        pid = host.worker_pids()[step]
        assert httpx.get(host.url + path, timeout=30).json() == {"logged": True}
        def step_records() -> list[dict[str, object]]:
            return [r for r in host.log_records() if r.get("step") == step and str(r.get("msg", ""))[:1] in "ya"]

        records = wait_for(lambda: (rs := step_records()) and rs[-1].get("msg") == "after the big one" and rs)
        big, after = records
        assert big["msg"] == "y" * 4096 and big.get("truncated") is True
        assert after["msg"] == "after the big one"
        assert host.worker_pids()[step] == pid  # cut down, not killed
        assert not any("broke the protocol" in r.get("msg", "") for r in host.log_records())
