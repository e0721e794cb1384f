"""`stephost dev`: hot reload. A changed step, or a helper module it loaded, gets a fresh worker;
a changed stream file is reloaded too (a new or removed stream restarts every step worker,
whose `ctx.streams` are built from the stream names they were welcomed with).

The new worker is started beside the old one and must load and pass the config checks
before anything changes; then the swap happens in one step of the event loop (registry,
routes, subscriptions, cron), so every request goes either to the old worker or to the
new one, never to none. The old worker then drains (its in-flight requests finish) and
stops. A broken edit (syntax error, invalid config, a clash with another step) is logged
with its cause and the last good version keeps serving. A new step file appears, a
deleted one disappears.

Which workers a change touches: the step file itself, or every worker whose step file
loaded the changed file (`Hello.source_files`); a worker that could not say restarts on
any change to a file of its language. Stream files and motia.config (streamAuth) reload
the same way, when they or a file they loaded change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from watchfiles import Change, DefaultFilter, awatch

from stephost.config import StepDefinition, parse_step_config
from stephost.discovery import discover
from stephost.logs import host_record
from stephost.registry import build_registry
from stephost.streams.auth_config import AUTH_FILES, auth_file_of, has_stream_auth
from stephost.streams.config import parse_stream_config
from stephost.streams.service import StreamDefinition
from stephost.workers.hello import LoadFailed
from stephost.workers.supervisor import StepWorker

if TYPE_CHECKING:
    from stephost.app import Host

DEBOUNCE_MS = 200
SOURCE_SUFFIXES = {
    "python": {".py"},
    "typescript": {".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".json"},
    "javascript": {".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".json"},
    "ruby": {".rb"},
}
# Files stephost writes into the project itself (generated types): never a reason to reload.
GENERATED = {"types.d.ts", "stephost_types.py"}


class ProjectFilter(DefaultFilter):
    """watchfiles' defaults (.git, node_modules, __pycache__, virtualenvs...) plus the data dir."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(ignore_dirs=(*DefaultFilter.ignore_dirs, ".stephost"), ignore_paths=(data_dir,))

    def __call__(self, change: Change, path: str) -> bool:
        name = Path(path).name
        # also the temporary files they are written through (".types.d.ts.tmp")
        return name.removeprefix(".").removesuffix(".tmp") not in GENERATED and super().__call__(change, path)


@dataclass(frozen=True)
class Outcome:
    file: str
    message: str
    ok: bool


class DevReloader:
    def __init__(self, host: Host) -> None:
        self._host = host
        self._lock = asyncio.Lock()  # one batch of changes at a time

    async def watch(self, stop: asyncio.Event) -> None:
        """Apply every batch of file changes until `stop` is set."""
        project = self._host.project
        watch_filter = ProjectFilter(self._host.settings.resolved_data_dir)
        async for changes in awatch(
            project, watch_filter=watch_filter, stop_event=stop, debounce=DEBOUNCE_MS, recursive=True
        ):
            await self.apply(Path(path) for _, path in changes)

    async def apply(self, changed: Iterable[Path]) -> list[Outcome]:
        """Reload what `changed` touches; returns what happened to each step file."""
        async with self._lock:
            return await self._apply({p.resolve() for p in changed})

    async def _apply(self, changed: set[Path]) -> list[Outcome]:
        host = self._host
        found = discover(host.project)
        started = time.monotonic()
        outcomes, retired, names_changed = await self._apply_streams(changed, {f.resolve() for f in found.streams})
        if self._touches_auth(changed):
            outcome, gone = await self._reload_auth()
            outcomes.append(outcome)
            retired += [gone] if gone else []
        step_files = {f.resolve() for f in found.steps}
        running = {w.file.resolve(): w for w in host.step_workers()}
        affected = {p for p in changed if p in step_files or p in running}
        affected |= {file for file, worker in running.items() if any(_loaded(worker, p) for p in changed)}
        if names_changed:
            # A step's `ctx.streams` is built from the stream names its worker was welcomed with.
            affected |= set(running)
        # New workers load side by side; then each is swapped in, one after the other, so
        # every swap sees the registry the previous one left.
        prepared = await asyncio.gather(
            *(self._prepare(file, running.get(file)) for file in sorted(affected) if file in step_files)
        )
        for item in prepared:
            if isinstance(item, Outcome):
                outcomes.append(item)
            else:
                outcomes.append(await self._install(item))
                if item.old is not None:
                    retired.append(item.old)
        # Deleted step files: with a worker, or a noop step (in the registry, no worker).
        idle = {(host.project / s.file).resolve(): s for s in host.registry.steps.values() if s.type == "noop"}
        for file in sorted((affected | (changed & set(idle))) - step_files):
            old = running.get(file)
            rel = old.rel_file if old is not None else idle[file].file
            name = old.name if old is not None else idle[file].name
            registry, _ = build_registry([s for s in host.registry.steps.values() if s.file != rel])
            await host.swap_step(old, None, None, registry)
            retired += [old] if old is not None else []
            outcomes.append(Outcome(rel, f"removed step {name!r}: {rel} is gone", True))
        if any(o.ok for o in outcomes):
            host.write_types()
        took = time.monotonic() - started
        for outcome in outcomes:
            level = "info" if outcome.ok else "error"
            host.log(host_record(level, f"{outcome.message} ({took:.2f} s)", file=outcome.file))
        # The old workers finish what they hold (in-flight requests) and stop.
        await asyncio.gather(*(host.retire(w) for w in retired))
        return outcomes

    async def _apply_streams(
        self, changed: set[Path], stream_files: set[Path]
    ) -> tuple[list[Outcome], list[StepWorker], bool]:
        """Reload changed stream files; returns what happened, workers to retire, and whether
        the set of stream names changed (then every step worker needs the new list)."""
        host = self._host
        known = {(host.project / d.file).resolve(): d for d in host.streams.values()}
        names_before = set(host.streams)
        outcomes: list[Outcome] = []
        retired: list[StepWorker] = []
        # a stream file is reloaded when it changed, or a helper it loaded did
        helpers = {f for f in known if any(str(p) in host.support_sources.get(f, ()) for p in changed)}
        for file in sorted({p for p in changed if p in stream_files or p in known} | helpers):
            old = known.get(file)
            if file not in stream_files:
                assert old is not None
                gone = host.swap_stream(old, None, None)
                retired += [gone] if gone else []
                outcomes.append(Outcome(old.file, f"removed stream {old.name!r}: {old.file} is gone", True))
                continue
            worker = host.new_worker(file)
            hello = await host.load_worker(worker)
            if isinstance(hello, LoadFailed):
                await worker.reject()
                outcomes.append(Outcome(worker.rel_file, f"{worker.rel_file} did not load, the last good version "
                                        f"keeps serving: {hello.message}", False))  # fmt: skip
                continue
            parsed = parse_stream_config(hello.config, file=worker.rel_file, functions=hello.functions)
            host.support_sources[file] = hello.source_files
            clash = (
                isinstance(parsed, StreamDefinition)
                and parsed.name in host.streams
                and parsed.name != (old.name if old else None)
            )
            if isinstance(parsed, list) or clash:
                await worker.reject()
                why = "; ".join(map(str, parsed)) if isinstance(parsed, list) else "its name is taken by another stream"
                outcomes.append(Outcome(worker.rel_file, f"{worker.rel_file} is not a valid stream, the last good "
                                        f"version keeps serving: {why}", False))  # fmt: skip
                continue
            assert isinstance(parsed, StreamDefinition)
            gone = host.swap_stream(old, parsed, worker)
            retired += [gone] if gone else []
            if not parsed.has_can_access:
                await worker.reject()  # nothing to run: the stream is only its config
            verb = "reloaded" if old is not None else "added"
            outcomes.append(Outcome(worker.rel_file, f"{verb} stream {parsed.name!r} from {worker.rel_file}", True))
        return outcomes, retired, set(host.streams) != names_before

    def _touches_auth(self, changed: set[Path]) -> bool:
        project = self._host.project
        auth_files = {project / name for name in AUTH_FILES}
        sources = {s for f in auth_files for s in self._host.support_sources.get(f, ())}
        return any(p in auth_files or str(p) in sources for p in changed)

    async def _reload_auth(self) -> tuple[Outcome, StepWorker | None]:
        """Reload motia.config's streamAuth; a broken edit keeps the last good authenticate."""
        host = self._host
        file = auth_file_of(host.project)
        if file is None:
            for name in AUTH_FILES:
                host.support_sources.pop(host.project / name, None)
            return Outcome(AUTH_FILES[0], "removed streamAuth: the project has no motia.config", True), host.swap_auth(
                None
            )
        worker = host.new_worker(file)
        hello = await host.load_worker(worker)
        if isinstance(hello, LoadFailed):
            await worker.reject()
            return Outcome(worker.rel_file, f"{worker.rel_file} did not load, the last good version keeps "
                           f"serving: {hello.message}", False), None  # fmt: skip
        host.support_sources[file.resolve()] = hello.source_files
        if not has_stream_auth(hello):
            await worker.reject()
            return Outcome(worker.rel_file, f"{worker.rel_file} has no streamAuth.authenticate: stream clients "
                           "connect without authentication", True), host.swap_auth(None)  # fmt: skip
        worker.source_files = hello.source_files
        return Outcome(worker.rel_file, f"reloaded streamAuth from {worker.rel_file}", True), host.swap_auth(worker)

    async def _prepare(self, file: Path, old: StepWorker | None) -> Prepared | Outcome:
        """Start and load a new worker for `file`; an Outcome when it cannot replace the old one."""
        new = self._host.new_worker(file)
        rel = new.rel_file
        hello = await self._host.load_worker(new)
        if isinstance(hello, LoadFailed):
            await new.reject()
            return Outcome(rel, f"{rel} did not load, the last good version keeps serving: {hello.message}", False)
        parsed = parse_step_config(
            hello.config, file=rel, language=hello.language, middleware_count=hello.middleware_count
        )
        if isinstance(parsed, list):
            await new.reject()
            why = "; ".join(str(p) for p in parsed)
            return Outcome(rel, f"{rel} has an invalid config, the last good version keeps serving: {why}", False)
        new.source_files = hello.source_files
        return Prepared(old, new, parsed)

    async def _install(self, item: Prepared) -> Outcome:
        host = self._host
        rel = item.new.rel_file
        others = [s for s in host.registry.steps.values() if s.file != rel]
        registry, problems = build_registry([*others, item.step])
        if problems or registry.steps.get(item.step.name) is not item.step:
            await item.new.reject()
            why = "; ".join(str(p) for p in problems)
            return Outcome(rel, f"{rel} clashes with another step, the last good version keeps serving: {why}", False)
        await host.swap_step(item.old, item.new, item.step, registry)
        verb = "reloaded" if item.old is not None else "added"
        return Outcome(rel, f"{verb} step {item.step.name!r} from {rel}", True)


@dataclass(frozen=True)
class Prepared:
    """A new worker that loaded and passed the config checks, ready to take `old`'s place."""

    old: StepWorker | None
    new: StepWorker
    step: StepDefinition


def _loaded(worker: StepWorker, path: Path) -> bool:
    if worker.source_files:
        return str(path) in worker.source_files
    return path.suffix in SOURCE_SUFFIXES.get(worker.language, set())
