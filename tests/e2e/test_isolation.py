"""Optional stronger isolation from stephost.json: no network, another user, or a clear refusal."""

from __future__ import annotations

import json
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from stephost.testing import HostProcess, free_port
from stephost.workers.launch import sdk_ruby_dir

PROJECT = Path(__file__).parent / "projects" / "isolated"


@pytest.mark.parametrize("path", ["/py/net", "/ts/net", "/rb/net"])
def test_a_worker_without_network_cannot_open_tcp_even_to_loopback_but_still_serves(path: str) -> None:
    with HostProcess(PROJECT, extra_args=["--log-format", "json"]) as host:
        # The host's own port, on the host's loopback: unreachable from the worker's namespace.
        body = httpx.get(host.url + path, params={"port": host.port}, timeout=30).json()
        assert body["reached"] is False
        # Python's step reports the exception class, Node's the error code, Ruby's the Errno class.
        assert body["error"] in {
            *("ConnectionRefusedError", "OSError"),
            *("ECONNREFUSED", "ENETUNREACH", "timeout"),
            *("Errno::ECONNREFUSED", "Errno::ENETUNREACH", "Errno::ETIMEDOUT"),
        }
        assert any("worker isolation active: unshare --net" in r.get("msg", "") for r in host.log_records())


@pytest.mark.parametrize(
    ("lang", "path", "erofs"),
    [("py", "/py/write", "Read-only file system"), ("ts", "/ts/write", "EROFS"), ("rb", "/rb/write", "Errno::EROFS")],
)
def test_a_read_only_file_system_lets_a_worker_write_only_its_project_and_its_tmpdir(
    tmp_path: Path, lang: str, path: str, erofs: str
) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "stephost.json").write_text(json.dumps({"isolation": {"network": False, "filesystem": "readonly"}}))
    outside = tmp_path / "outside"
    outside.mkdir()
    with HostProcess(project, extra_args=["--log-format", "json"]) as host:
        body = httpx.get(host.url + path, params={"outside": str(outside)}, timeout=30).json()
        assert body == {"project": "ok", "tmp": "ok", "outside": erofs}
        assert (project / f"{lang}-note.txt").read_text() == "written by a worker"
        assert list(outside.iterdir()) == []  # writable for the host, read-only for the worker
        assert any("readonly_root.py" in r.get("msg", "") for r in host.log_records())
        # both layers at once: still no network
        assert httpx.get(host.url + f"/{lang}/net", params={"port": host.port}, timeout=30).json()["reached"] is False


def test_running_workers_as_another_user_works_or_is_refused_with_the_reason() -> None:
    # The worker's user must be able to read the project: a world-readable copy outside pytest's private tmp.
    root = Path(tempfile.mkdtemp(prefix="stephost-isolated-"))
    try:
        run_as_nobody(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_as_nobody(root: Path) -> None:
    project = root / "project"
    shutil.copytree(PROJECT, project)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (project / "stephost.json").write_text(json.dumps({"isolation": {"user": "nobody"}}))
    (project / "steps" / "net.step.ts").unlink()
    # Can this machine run our Python and Ruby workers as nobody? (Not when they, or this checkout, are private.)
    nobody = pwd.getpwnam("nobody")
    ruby_worker = sdk_ruby_dir() / "bin" / "stephost-ruby-worker"
    as_nobody = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"]
    worker_loads = [
        [sys.executable, "-c", "import stephost_sdk.worker"],
        ["ruby", "-e", 'require "grpc"; require "google/protobuf"; File.read(ARGV[0])', str(ruby_worker)],
    ]
    probes = [subprocess.run([*as_nobody, *load], capture_output=True, timeout=30) for load in worker_loads]
    if all(probe.returncode == 0 for probe in probes):
        with HostProcess(project) as host:
            for route in ("/py/net", "/rb/net"):
                body = httpx.get(host.url + route, params={"port": free_port()}, timeout=30).json()
                assert body["uid"] == nobody.pw_uid
    else:
        result = subprocess.run(
            [sys.executable, "-m", "stephost.cli", "start", str(project), "--port", str(free_port())],
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert result.returncode == 1
        assert "stephost.json field 'isolation': running" in result.stdout
        assert "isolated failed here" in result.stdout
