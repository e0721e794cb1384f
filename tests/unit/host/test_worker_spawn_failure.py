"""A worker whose process cannot be created is a LOAD_ERROR of its step, not an exception that
stops the host (the e2e side: tests/e2e/test_startup_errors.py, no node on PATH)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stephost import errors
from stephost.workers.hello import LoadFailed
from stephost.workers.rpc_server import WorkerRpcServer
from stephost.workers.supervisor import StepWorker


async def no_ctx(*_: Any) -> Any:
    raise AssertionError("no ctx call expected")


async def test_a_worker_whose_command_cannot_be_run_fails_its_load_naming_the_file(tmp_path: Path) -> None:
    step = tmp_path / "steps" / "a_step.py"
    step.parent.mkdir()
    step.write_text('config = {"type": "event", "name": "A", "subscribes": ["x"], "emits": []}\n')
    rpc = WorkerRpcServer(str(tmp_path / "workers.sock"))
    await rpc.start()
    try:
        # An isolation prefix whose program does not exist: the exec itself fails (ENOENT).
        worker = StepWorker(
            step,
            tmp_path,
            rpc,
            ctx_handler=no_ctx,
            log_sink=lambda _record: None,
            worker_id="w1",
            command_prefix=(str(tmp_path / "no-such-isolator"),),
        )
        result = await worker.load()
    finally:
        await rpc.stop()
    assert isinstance(result, LoadFailed)
    assert result.code == errors.LOAD_ERROR
    assert result.message.startswith("steps/a_step.py: the worker could not be started:")
    assert "no-such-isolator" in result.message
    assert worker.state == "failed"
    assert not worker.spawned.is_set()
