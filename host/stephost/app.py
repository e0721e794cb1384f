"""The composition root: build the host from a project folder, serve it, shut it down in order.

Only this module picks concrete implementations (state, bus); everything else sees
interfaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from stephost.bus.base import Delivery, DeliveryDeferred, Failure
from stephost.bus.dispatcher import Dispatcher, Subscription
from stephost.config import StepDefinition, parse_step_config
from stephost.cron.scheduler import CronScheduler
from stephost.ctx import CtxService
from stephost.discovery import discover
from stephost.dlq import DeadLetterQueue
from stephost.errors import ConfigProblem, InvocationFailed, WorkerUnavailable
from stephost.host_settings import DEFAULT_API_TIMEOUT_S, HostSettings
from stephost.logs import host_record
from stephost.openapi import project_info
from stephost.registry import Registry, build_registry
from stephost.reload import DevReloader
from stephost.settings import load_project_settings
from stephost.storage import choose_storage, open_storage
from stephost.streams.access import StreamAccess
from stephost.streams.auth_config import auth_file_of, has_stream_auth
from stephost.streams.config import parse_stream_config
from stephost.streams.hub import GOING_AWAY_CLOSE_CODE, StreamHub
from stephost.streams.service import StreamDefinition, StreamService
from stephost.trace import new_trace_id
from stephost.typegen.writer import write_types
from stephost.types import Invocation, LogRecord, LogSink, Trigger
from stephost.workbench.recorder import WorkbenchRecorder, invocation_outcome
from stephost.workers.forkserver import ForkServer, forking_wanted
from stephost.workers.hello import Hello, LoadFailed
from stephost.workers.launch import language_of
from stephost.workers.preparation import prepare_launch
from stephost.workers.rpc_server import WorkerRpcServer
from stephost.workers.sandbox import CgroupSandbox, WorkerLimits
from stephost.workers.supervisor import UNHEALTHY_RETRY_S, StepWorker

DEFAULT_EVENT_TIMEOUT_S = 30.0
DEFAULT_CRON_TIMEOUT_S = 300.0
# Workers started at once, each waiting for its hello. Its deadline runs from its start, and
# forty Node workers started together on two cores would let the slowest miss it.
START_SLOTS = max(4, 2 * (os.cpu_count() or 1))
# What only serving needs (Uvicorn, Quart, jsonschema): imported by load() while the first
# workers start, not before (see _import_serving_stack).
SERVING_MODULES = ("stephost.http.app", "stephost.http.server", "jsonschema")
# How long load() waits for the first workers' processes before it imports them anyway.
SPAWN_WAIT_S = 1.0


class Host:
    def __init__(self, settings: HostSettings, log_sink: LogSink) -> None:
        self.settings = settings
        self.project = settings.project.resolve()
        self.registry = Registry()
        self.problems: list[ConfigProblem] = []
        self._workers: dict[str, StepWorker] = {}
        self._all_workers: list[StepWorker] = []
        # Read once here: it decides the storage backend before anything is built.
        self.project_settings, self._settings_problems = load_project_settings(self.project)
        self.workbench = WorkbenchRecorder() if self._workbench_on() else None
        # Every log line of the host and its workers also goes to the Workbench, when it is on.
        self.log = self.workbench.tee(log_sink) if self.workbench is not None else log_sink
        self.storage_choice = choose_storage(
            settings.storage, settings.redis_url, settings.redis_prefix, self.project_settings.redis
        )
        self._storage = open_storage(self.storage_choice, settings.resolved_data_dir)
        self._state = self._storage.state
        self._bus = Dispatcher(self._storage.queue, self._deliver, on_dead_letter=self._log_dead_letter)
        self._cron_slots = self._storage.cron
        self._socket_dir = tempfile.mkdtemp(prefix="stephost-")
        self._rpc = WorkerRpcServer(str(Path(self._socket_dir) / "workers.sock"))
        self._feed = self._storage.make_feed(StreamHub())
        self._streams = StreamService(self._storage.streams, self._feed, {})
        self._stream_workers: dict[str, StepWorker] = {}
        self._auth_worker: StepWorker | None = None
        # The files each stream file and the auth file loaded (`Hello.source_files`), kept even
        # when their worker stopped (a stream without canAccess): dev reloads them when one changes.
        self.support_sources: dict[Path, tuple[str, ...]] = {}
        self._ctx = CtxService(self.registry, self._state, self._bus, self._streams, self.log, self.workbench)
        self._cron: CronScheduler | None = None
        self._worker_seq = 0
        self._start_slots = asyncio.Semaphore(START_SLOTS)
        self._fork_slots = asyncio.Semaphore(START_SLOTS)
        self._worker_env: dict[str, str] = {}
        self._worker_prefix: tuple[str, ...] = ()
        self._sandbox: CgroupSandbox | None = None
        self._fork_server: ForkServer | None = None

    def _workbench_on(self) -> bool:
        """The flag, else stephost.json's `workbench`, else on in `dev` only."""
        if self.settings.workbench is not None:
            return self.settings.workbench
        if self.project_settings.workbench is not None:
            return self.project_settings.workbench
        return self.settings.mode == "dev"

    # ------------------------------------------------------------------ start-up

    async def load(self) -> list[ConfigProblem]:
        """Start one worker per step file, check every config; return every problem found."""
        found = discover(self.project)
        problems = [*self._settings_problems, *found.problems]
        self.log(host_record("info", self.storage_choice.describe(self.settings.resolved_data_dir)))
        if self._storage.link is not None:
            await self._storage.link.ping()  # StorageUnavailable: the host does not start half-connected
        await self._feed.start()
        await self._rpc.start()
        auth_file = auth_file_of(self.project)
        files = [*found.steps, *found.streams, *([auth_file] if auth_file else [])]
        self._sandbox, sandbox_note = CgroupSandbox.detect()
        self.log(host_record("info", sandbox_note))
        launch = prepare_launch(
            self.project,
            self.project_settings,
            Path(self._socket_dir),
            {language_of(f) for f in [*found.steps, *found.streams]},
            self.log,
        )
        problems += launch.problems
        self._worker_env, self._worker_prefix = launch.env, launch.prefix
        if any(language_of(f) == "python" for f in files) and not launch.prefix and forking_wanted():
            self._fork_server = ForkServer(launch.env, self.project, self.log)
            await self._fork_server.start()
        workers = [self.new_worker(f) for f in files]
        self._all_workers = workers
        started = time.monotonic()
        # The slowest to boot start first: a Node or Ruby worker spends far more CPU before its
        # hello than a Python worker forked from the launcher.
        start_order = sorted(range(len(workers)), key=lambda i: workers[i].language == "python")
        loads = {i: asyncio.ensure_future(self.load_worker(workers[i])) for i in start_order}
        await _import_serving_stack([(workers[i], loads[i]) for i in start_order[:START_SLOTS]])
        hellos = await asyncio.gather(*(loads[i] for i in range(len(workers))))
        # Workers were made in file order: steps, then streams, then the auth file.
        n_steps, n_streams = len(found.steps), len(found.streams)
        step_hellos: list[tuple[StepWorker, Hello]] = []
        stream_hellos: list[tuple[StepWorker, Hello]] = []
        auth_hellos: list[tuple[StepWorker, Hello]] = []
        for index, (worker, hello) in enumerate(zip(workers, hellos, strict=True)):
            if isinstance(hello, LoadFailed):
                problems.append(ConfigProblem(worker.rel_file, None, None, f"[{hello.code}] {hello.message}"))
                if hello.stack:
                    self.log(host_record("debug", f"load failure of {worker.rel_file}", stack=hello.stack))
                await worker.reject()
                continue
            kind = step_hellos if index < n_steps else stream_hellos if index < n_steps + n_streams else auth_hellos
            kind.append((worker, hello))
            worker.source_files = hello.source_files
            if index >= n_steps:
                self.support_sources[worker.file.resolve()] = hello.source_files
        problems += await self._load_streams(stream_hellos)
        for worker, hello in auth_hellos:
            if has_stream_auth(hello):
                self._auth_worker = worker
            else:
                await worker.reject()  # a project config without streamAuth: nothing to run
        valid: list[tuple[StepWorker, StepDefinition]] = []
        for worker, hello in step_hellos:
            parsed = parse_step_config(
                hello.config,
                file=worker.rel_file,
                language=hello.language,
                middleware_count=hello.middleware_count,
            )
            if isinstance(parsed, list):
                problems.extend(parsed)
                await worker.reject()
                continue
            valid.append((worker, parsed))
        registry, dup_problems = build_registry([s for _, s in valid])
        problems.extend(dup_problems)
        # The live registry object is shared with the ctx service; fill it in place.
        self.registry.steps.update(registry.steps)
        self.registry.routes.extend(registry.routes)
        self.registry.subscribers.update(registry.subscribers)
        for worker, step in valid:
            if self.registry.steps.get(step.name) is step:
                self._workers[step.name] = worker
            else:
                await worker.reject()
        self.problems = problems
        self.log(
            host_record(
                "info",
                f"loaded {len(self._workers)} step(s) from {self.project} in {time.monotonic() - started:.2f} s"
                + (f", {len(problems)} problem(s)" if problems else ""),
            )
        )
        return problems

    async def load_worker(self, worker: StepWorker) -> Hello | LoadFailed:
        """Start `worker` and wait for its hello, a few at a time.

        A worker's hello deadline runs from its start; starting forty at once on two cores
        (a Node worker spends a second of CPU loading its runtime) would let the slowest
        miss it for no fault of their own. A worker forked from the launcher costs a few
        milliseconds of CPU: those take slots of their own, so they start beside the others
        instead of queueing behind them.
        """
        slots = self._fork_slots if worker.forked else self._start_slots
        async with slots:
            return await worker.load()

    def new_worker(self, file: Path) -> StepWorker:
        """A worker for `file`, set up like every other (environment, isolation, sandbox, limits)."""
        self._worker_seq += 1
        return StepWorker(
            file,
            self.project,
            self._rpc,
            ctx_handler=self._ctx,
            log_sink=self.log,
            worker_id=f"w{self._worker_seq}",
            base_env=self._worker_env,
            sandbox=self._sandbox,
            limits=WorkerLimits(ram_mb=self.project_settings.default_ram_mb, pids=self.project_settings.default_pids),
            command_prefix=self._worker_prefix,
            fork_server=self._fork_server,
        )

    async def _load_streams(self, hellos: list[tuple[StepWorker, Hello]]) -> list[ConfigProblem]:
        """Register each stream file's stream; its worker stays up only to answer canAccess."""
        problems: list[ConfigProblem] = []
        for worker, hello in hellos:
            parsed = parse_stream_config(hello.config, file=worker.rel_file, functions=hello.functions)
            if isinstance(parsed, list):
                problems.extend(parsed)
            elif parsed.name in self._streams.streams:
                other = self._streams.streams[parsed.name].file
                problems.append(
                    ConfigProblem(worker.rel_file, parsed.name, "name", f"duplicate stream name, also used by {other}")
                )
            else:
                self._streams.streams[parsed.name] = parsed
                if parsed.has_can_access:
                    self._stream_workers[parsed.name] = worker
                    continue
            await worker.reject()
            worker.state = "idle"
        return problems

    async def accept_valid_steps(self) -> None:
        """Welcome every valid step's worker; noop steps are never run, so theirs stop."""
        names = sorted(self._streams.streams)
        for worker in [*self._workers.values(), *self._stream_workers.values(), self._auth_worker]:
            if worker is not None:
                worker.stream_names = names
        for name, stream_worker in self._stream_workers.items():
            stream_worker.accept(_internal_step(name, stream_worker, "stream"))
        if self._auth_worker is not None:
            self._auth_worker.accept(_internal_step("streamAuth", self._auth_worker, "streamAuth"))
        for name, worker in list(self._workers.items()):
            step = self.registry.steps[name]
            worker.ram_limit_mb = step.handler_limits.ram_mb or self.project_settings.default_ram_mb
            if step.type == "noop":
                worker.step = step
                await worker.reject()
                worker.state = "noop"
                del self._workers[name]
            else:
                worker.accept(step)

    @property
    def streams(self) -> dict[str, StreamDefinition]:
        """Every stream of the project, by name."""
        return self._streams.streams

    # ------------------------------------------------------------------ dev reloads

    def write_types(self) -> None:
        """`dev`: keep types.d.ts and stephost_types.py in step with the configs (a failure is only logged)."""
        try:
            write_types(self.project, self.registry, self.streams)
        except OSError as exc:
            self.log(host_record("warn", f"could not write the generated types: {exc}"))

    def step_workers(self) -> list[StepWorker]:
        """The worker of every step that has one (noop steps have none)."""
        return list(self._workers.values())

    async def swap_step(
        self, old: StepWorker | None, new: StepWorker | None, step: StepDefinition | None, registry: Registry
    ) -> None:
        """Make `registry` the project's steps, with `new` serving `step` in place of `old`.

        Everything up to the welcome happens without yielding to the event loop, so a request
        finds either the old worker or the new one. The caller then `retire`s the old one.
        """
        self.registry.steps.clear()
        self.registry.steps.update(registry.steps)
        self.registry.routes[:] = registry.routes
        self.registry.subscribers.clear()
        self.registry.subscribers.update(registry.subscribers)
        if old is not None:
            self._workers = {name: w for name, w in self._workers.items() if w is not old}
            self._all_workers = [w for w in self._all_workers if w is not old]
        if new is not None and step is not None:
            new.stream_names = sorted(self._streams.streams)
            new.ram_limit_mb = step.handler_limits.ram_mb or self.project_settings.default_ram_mb
            self._all_workers.append(new)
            if step.type == "noop":
                new.step = step
            else:
                self._workers[step.name] = new
                new.accept(step)
        self._bus.resubscribe(self._subscriptions())
        if self._cron is not None:
            await self._cron.update(self.registry.cron_steps)
        if new is not None and step is not None and step.type == "noop":
            await new.reject()
            new.state = "noop"

    def swap_stream(
        self, old: StreamDefinition | None, new: StreamDefinition | None, worker: StepWorker | None
    ) -> StepWorker | None:
        """Put stream `new` (served by `worker` when it has canAccess) in `old`'s place, in one go.

        Returns the old stream's worker for the caller to `retire`. A worker of a stream
        without canAccess has nothing to run: the caller rejects it.
        """
        retired = None
        if old is not None:
            self._streams.streams.pop(old.name, None)
            retired = self._stream_workers.pop(old.name, None)
            if retired is not None:
                self._all_workers = [w for w in self._all_workers if w is not retired]
        if new is not None:
            self._streams.streams[new.name] = new
            if new.has_can_access and worker is not None:
                worker.stream_names = sorted(self._streams.streams)
                self._stream_workers[new.name] = worker
                self._all_workers.append(worker)
                worker.accept(_internal_step(new.name, worker, "stream"))
        return retired

    def swap_auth(self, worker: StepWorker | None) -> StepWorker | None:
        """Make `worker` run the project's streamAuth.authenticate (None: no auth); returns the old one."""
        retired, self._auth_worker = self._auth_worker, worker
        if retired is not None:
            self._all_workers = [w for w in self._all_workers if w is not retired]
        if worker is not None:
            worker.stream_names = sorted(self._streams.streams)
            self._all_workers.append(worker)
            worker.accept(_internal_step("streamAuth", worker, "streamAuth"))
        return retired

    async def retire(self, worker: StepWorker) -> None:
        """A replaced worker finishes what it holds (up to its step's timeout), then stops."""
        timeout = (worker.step.handler_limits.timeout_s if worker.step else None) or DEFAULT_API_TIMEOUT_S
        await worker.stop(timeout_s=timeout)

    def _subscriptions(self) -> list[Subscription]:
        return [Subscription(s.name, s.queue) for s in self.registry.steps.values() if s.type == "event"]

    # ------------------------------------------------------------------ running steps

    def worker_for(self, step_name: str) -> StepWorker:
        worker = self._workers.get(step_name)
        if worker is None:
            raise WorkerUnavailable(f"step {step_name!r} has no worker")
        return worker

    def _log_dead_letter(self, delivery: Delivery, failure: Failure) -> None:
        step = self.registry.steps.get(delivery.step)
        self.log(
            LogRecord(
                level="error",
                msg=(
                    f"event {delivery.event.topic!r} moved to the dead-letter queue after {delivery.attempt} "
                    f"attempt(s): {failure.message}"
                ),
                step=delivery.step,
                time_ms=int(time.time() * 1000),
                trace_id=delivery.event.trace_id,
                flows=step.flows if step else (),
                fields={"code": failure.code, "eventId": delivery.event.id, "topic": delivery.event.topic},
            )
        )

    async def _emit_from_outside(self, topic: str, data: Any, trace_id: str) -> None:
        await self._ctx.publish(topic, data, trace_id, emitted_by="POST /emit")

    def status(self) -> list[dict[str, Any]]:
        return [w.describe() for w in self._all_workers]

    async def _deliver(self, delivery: Delivery) -> None:
        step = self.registry.steps[delivery.step]
        worker = self._workers.get(step.name)
        if worker is not None and worker.unhealthy:
            raise DeliveryDeferred(UNHEALTHY_RETRY_S, worker.unhealthy_reason())
        invocation = Invocation(
            trigger=Trigger.EVENT,
            payload=delivery.event.data,
            trace_id=delivery.event.trace_id,
            timeout_s=step.handler_limits.timeout_s
            or self.project_settings.default_timeout_s
            or DEFAULT_EVENT_TIMEOUT_S,
            attempt=delivery.attempt,
            event_id=delivery.delivery_id,
            topic=delivery.event.topic,
        )
        await self._run_logged(step, invocation)

    async def _run_cron(self, step: StepDefinition, slot: datetime) -> None:
        invocation = Invocation(
            trigger=Trigger.CRON,
            payload=None,
            trace_id=new_trace_id(),
            timeout_s=self._cron_timeout_s(step),
        )
        await self._run_logged(step, invocation)

    def _cron_timeout_s(self, step: StepDefinition) -> float:
        return step.handler_limits.timeout_s or self.project_settings.default_timeout_s or DEFAULT_CRON_TIMEOUT_S

    async def _run_logged(self, step: StepDefinition, invocation: Invocation) -> None:
        started = time.time()
        try:
            await self.worker_for(step.name).invoke(invocation)
        except (InvocationFailed, WorkerUnavailable) as exc:
            self._record_invocation(step, invocation, started, exc)
            fields: dict[str, Any] = {"code": exc.code}
            if invocation.topic:
                fields["topic"] = invocation.topic
            if isinstance(exc, InvocationFailed) and exc.stack:
                fields["stack"] = exc.stack
            name = f"{exc.name}: " if isinstance(exc, InvocationFailed) and exc.name else ""
            self.log(
                LogRecord(
                    level="error",
                    msg=f"{invocation.trigger.value} handler failed: {name}{exc.message}",
                    step=step.name,
                    time_ms=int(time.time() * 1000),
                    trace_id=invocation.trace_id,
                    flows=step.flows,
                    fields=fields,
                )
            )
            raise
        self._record_invocation(step, invocation, started, None)

    def _record_invocation(
        self, step: StepDefinition, invocation: Invocation, started: float, error: BaseException | None
    ) -> None:
        if self.workbench is None:
            return
        self.workbench.record(
            "invocation",
            invocation.trace_id,
            step.name,
            trigger=invocation.trigger.value,
            language=step.language,
            topic=invocation.topic or None,
            attempt=invocation.attempt,
            start=int(started * 1000),
            durationMs=round((time.time() - started) * 1000, 1),
            **invocation_outcome(error),
        )

    # ------------------------------------------------------------------ serving

    async def serve(self, shutdown: Callable[[], Awaitable[None]]) -> None:
        """Run the bus, cron and HTTP until `shutdown()` returns; then stop in order."""
        # imported by load() already (SERVING_MODULES), while the first workers started
        from stephost.http.app import create_app
        from stephost.http.server import serve_http

        await self.accept_valid_steps()
        recovered = await self._bus.start(self._subscriptions(), retry=self.project_settings.retry)
        if recovered:
            self.log(
                host_record("warn", f"{recovered} event delivery(ies) interrupted by the last stop will run again")
            )
        self._cron = CronScheduler(
            self.registry.cron_steps,
            self._run_cron,
            self.log,
            self._cron_slots,
            tz=ZoneInfo(self.project_settings.cron_timezone),
            # the run's timeout, plus the cancel grace and some: a live run never loses its lock
            run_lease_s=lambda step: self._cron_timeout_s(step) + 10,
        )
        await self._cron.start()
        access = StreamAccess(lambda: self._auth_worker, self._stream_workers, self.log)
        app = create_app(
            self.registry,
            self.worker_for,
            self.log,
            self.status,
            settings=self.settings.http_settings(self.project_settings),
            emit=self._emit_from_outside,
            dlq=DeadLetterQueue(self._bus.store, self._bus.wake),
            streams=self._streams,
            stream_access=access,
            api_info=project_info(self.project),
            workbench=self.workbench,
            state=self._state,
        )
        announce = f"stephost {self.settings.mode} serving {len(self.registry.routes)} route(s) on "
        announce += f"http://{self.settings.bind}:{self.settings.port}"
        stop_watching = asyncio.Event()
        if self.settings.mode == "dev":
            self.write_types()
        watcher = (
            asyncio.create_task(DevReloader(self).watch(stop_watching), name="dev-reload")
            if self.settings.mode == "dev"
            else None
        )
        try:
            await serve_http(
                app,
                self.settings.bind,
                self.settings.port,
                shutdown,
                on_ready=lambda: self.log(host_record("info", announce)),
                before_stop=self._close_live_clients,
            )
        finally:
            stop_watching.set()
            if watcher is not None:
                await asyncio.gather(watcher, return_exceptions=True)
            await self.close()

    def _close_live_clients(self) -> None:
        """Stream and Workbench sockets are told the host is going away (close 1001)."""
        self._streams.hub.close_all(GOING_AWAY_CLOSE_CODE, "stephost is shutting down")
        if self.workbench is not None:
            self.workbench.close_clients()

    async def close(self) -> None:
        """Stop in order: cron, bus, workers (drained), the rpc socket. Each stage logs a line."""
        if self._cron is not None:
            await self._cron.close()
        await self._bus.close()
        await asyncio.gather(*(w.stop() for w in self._all_workers), return_exceptions=True)
        self.log(host_record("info", f"stopped {len(self._all_workers)} worker(s)"))
        if self._fork_server is not None:
            await self._fork_server.close()
        await self._rpc.stop()
        if self._sandbox is not None:
            self._sandbox.close()
        await self._feed.close()
        await self._storage.close()
        with contextlib.suppress(OSError):
            shutil.rmtree(self._socket_dir)


def _internal_step(name: str, worker: StepWorker, kind: str) -> StepDefinition:
    """Stream files and the auth file are not steps, but their workers are supervised like one."""
    return StepDefinition(name=name, type=kind, file=worker.rel_file, language=worker.language)


async def _import_serving_stack(first: list[tuple[StepWorker, asyncio.Future[Any]]]) -> None:
    """Import SERVING_MODULES once the `first` workers' processes are up (each with its load).

    Those imports are about a quarter of a second of the host's CPU that nothing needs
    before the hellos are in. Done before any worker starts, the other core waits through
    them; done now, they overlap with the workers' own start (a Node worker takes longer
    than that to its hello, and a hello that arrives meanwhile waits on the loop).
    """

    async def started(worker: StepWorker, load: asyncio.Future[Any]) -> None:
        # a worker that cannot be spawned at all ends its load instead
        spawned = asyncio.ensure_future(worker.spawned.wait())
        try:
            await asyncio.wait({spawned, load}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            spawned.cancel()

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(started(w, load) for w, load in first)), SPAWN_WAIT_S)
    for module in SERVING_MODULES:
        importlib.import_module(module)
