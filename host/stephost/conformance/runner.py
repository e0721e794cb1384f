"""`stephost conformance --worker "COMMAND" --fixtures DIR`: run every check, one line each.

First every fixture file gets a worker of its own for the handshake checks (its Hello,
its config); that also maps config names to files. Then each check of `checks.CHECKS`
runs on a fresh worker of its fixture. Output: `PASS`/`FAIL`/`WARN` per check with the
rules it cites, a summary, and with `--json FILE` the same as JSON for CI. Exit 1 when a
MUST check failed.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stephost.conformance.checks import CHECKS, EVERY_MESSAGE_RULES, Check, expect
from stephost.conformance.session import (
    ConformanceFailure,
    FakeHost,
    StreamEnded,
    WorkerSession,
    describe,
    split_command,
)
from stephost_proto.v1 import worker_pb2 as pb

AUTHENTICATE = pb.TRIGGER_KIND_AUTHENTICATE

STEP_FILE = re.compile(r"(_step\.(py|rb|ts|js)|\.step\.(ts|js|rb))$")
STREAM_FILE = re.compile(r"(_stream\.(py|rb|ts|js)|\.stream\.(ts|js|rb))$")
CHECK_TIMEOUT_S = 60.0


@dataclass
class Outcome:
    check: str
    rules: list[str]
    level: str
    passed: bool
    seconds: float
    detail: str = ""

    @property
    def status(self) -> str:
        if self.passed:
            return "PASS"
        return "FAIL" if self.level == "MUST" else "WARN"


@dataclass
class Fixture:
    file: Path
    hello: Any  # pb.Hello
    config: dict[str, Any]


EXPECTED_CONFIGS: dict[str, dict[str, Any]] = {
    "Echo": {"type": "api", "path": "/echo", "method": "POST", "emits": []},
    "Ctx": {"type": "api", "path": "/ctx", "method": "POST", "emits": ["conf.topic"]},
    "OnTopic": {"type": "event", "subscribes": ["conf.topic"], "emits": []},
    "Tick": {"type": "cron", "cron": "*/5 * * * *", "emits": []},
    "Noop": {"type": "noop", "virtualEmits": ["conf.topic"]},
    "confGuarded": {
        "schema": {"type": "object", "properties": {"text": {"type": "string"}}},
        "baseConfig": {"storageType": "default"},
    },
}
# The rules each config outcome cites: a noop step loads without a handler (W-LOAD-3); a
# stream file's config is its schema as JSON Schema without canAccess (W-CONFIG-3).
CONFIG_RULES = ("W-CONFIG-1", "W-HELLO-5")
EXTRA_CONFIG_RULES = {"Noop": ("W-LOAD-3",), "confGuarded": ("W-CONFIG-3",)}
# Fixture files that must fail to load, each with the code its name says (W-FAIL-1).
LOAD_FAILURES = "load_failures"
FAILURE_CODES = (
    ("syntax", "LOAD_ERROR"),
    ("not_object", "LOAD_ERROR"),
    ("no_config", "CONFIG_MISSING"),
    ("no_handler", "HANDLER_MISSING"),
    ("bad_schema", "LOAD_ERROR"),
    ("can_access_not_function", "LOAD_ERROR"),
)
# What else a load failure's message must name, and the rule that asks it, by file name.
FAILURE_DETAILS = (
    ("bad_schema", "bodySchema", ("W-CONFIG-5",)),
    ("can_access_not_function", "canAccess", ("W-LOAD-4",)),
)
LOAD_FAILURE_RULES = ("W-FAIL-1", "W-FAIL-2", "W-FAIL-3", "W-LOAD-3")
# The handshake of every fixture file shows these: the worker took its five variables, dialled
# the socket with its secret, told the file's kind from its name, loaded it and said Hello in time.
HANDSHAKE_RULES = (
    "W-LAUNCH-1",
    "W-CONN-1",
    "W-CONN-2",
    "W-LOAD-1",
    "W-LOAD-2",
    "W-LOAD-6",
    "W-HELLO-1",
    "W-HELLO-2",
    "W-HELLO-4",
    "W-HELLO-5",
    "W-HELLO-7",
    "W-HELLO-8",
    "W-HELLO-9",
    "W-CONFIG-1",
)
AUTH_FILES = ("motia.config.ts", "motia.config.js", "motia.config.mjs", "motia.config.cjs")
AUTH_CONFIG = {"type": "streamAuth", "contextSchema": {"type": "object", "properties": {"userId": {"type": "string"}}}}
MIDDLEWARE_COUNTS = {"Middleware": 2}  # the fixtures with middleware; every other step has none
SCHEMA_RULES = ("W-CONFIG-2",)
SCHEMA_BODY = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


# (check, rules, environment changes, whether the worker dials at all)
LAUNCH_CASES: tuple[tuple[str, tuple[str, ...], dict[str, str], bool], ...] = (
    ("a missing STEPHOST_WORKER_SECRET: no connection, exit", ("W-LAUNCH-2",), {"STEPHOST_WORKER_SECRET": ""}, False),
    ("a missing STEPHOST_STEP_FILE: no connection, exit", ("W-LAUNCH-2",), {"STEPHOST_STEP_FILE": ""}, False),
    (
        "a secret the host refuses: exit, without dialling again",
        ("W-CONN-6", "W-CONN-5"),
        {"STEPHOST_WORKER_SECRET": "not-the-secret"},
        True,
    ),
    (
        "a socket nobody listens on: exit after a bounded wait",
        ("W-CONN-4",),
        {"STEPHOST_SOCKET": "/nonexistent/stephost-conformance.sock"},
        False,
    ),
)
# The stream auth file: run by a TS/JS worker, refused by any other.
AUTH_RUN_RULES = ("W-AUTH-1", "W-CONFIG-4", "W-HELLO-8")
AUTH_REFUSED_RULES = ("W-LOAD-5", "W-FAIL-1")


def fixture_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and (STEP_FILE.search(p.name) or STREAM_FILE.search(p.name))
        and "node_modules" not in p.parts
        and LOAD_FAILURES not in p.relative_to(root).parts
    )


async def handshake(host: FakeHost, command: list[str], file: Path, root: Path) -> tuple[Outcome, Fixture | None]:
    """The Hello checks on one file's worker: first message, fields, config JSON."""
    started = time.monotonic()
    session = WorkerSession(host, command, file, root)
    name = f"hello: {file.relative_to(root)}"
    rules = list(HANDSHAKE_RULES)
    try:
        await session.start()
        first = await session.hello()
        msg = first.message
        expect(msg.WhichOneof("kind") == "hello", f"the first message must be Hello, got {describe(msg)}")
        expect(not first.in_batch, "Hello must not travel in a WorkerBatch")
        hello = msg.hello
        expect(hello.protocol_version == 1, f"Hello.protocol_version: expected 1, got {hello.protocol_version}")
        expect(
            hello.worker_id == session.worker_id,
            f"Hello.worker_id: expected {session.worker_id!r}, got {hello.worker_id!r}",
        )
        expect(
            bool(hello.language) and bool(hello.sdk_name),
            f"Hello.language/sdk_name must be set: {hello.language!r}, {hello.sdk_name!r}",
        )
        try:
            config = json.loads(hello.config_json)
        except ValueError as exc:
            raise ConformanceFailure(f"Hello.config_json is not JSON: {exc}") from None
        expect(isinstance(config, dict), f"Hello.config_json must be a JSON object, got {type(config).__name__}")
        expect(isinstance(config.get("name"), str), f"the config must have a name: {config}")
        sources = list(hello.source_files)
        expect(
            not sources or str(file.resolve()) in sources,
            f"Hello.source_files is not empty, so it must hold the file itself ({file.resolve()}): {sources[:5]}",
        )
        if STREAM_FILE.search(file.name):
            # W-CONFIG-3: the function itself is not in the config; W-HELLO-8: Hello names it
            expect("canAccess" not in config, f"a stream file's config_json must not hold canAccess: {config}")
            expect(
                list(hello.functions) == ["canAccess"],
                f"Hello.functions: expected ['canAccess'], got {list(hello.functions)}",
            )
        else:
            expect(config.get("type") in ("api", "event", "cron", "noop"), f"config type: {config}")
            expect("middleware" not in config, f"config_json must not hold middleware (W-CONFIG-1): {config}")
            mw = MIDDLEWARE_COUNTS.get(str(config.get("name")), 0)
            expect(hello.middleware_count == mw, f"Hello.middleware_count: expected {mw}, got {hello.middleware_count}")
            expect(
                not hello.functions,
                f"Hello.functions must be empty for a step file (W-HELLO-8), got {list(hello.functions)}",
            )
        return Outcome(name, rules, "MUST", True, time.monotonic() - started), Fixture(file, hello, config)
    except (ConformanceFailure, OSError) as exc:
        return Outcome(name, rules, "MUST", False, time.monotonic() - started, str(exc) + session.output_tail()), None
    finally:
        await session.close()


def config_outcomes(fixtures: dict[str, Fixture]) -> list[Outcome]:
    """The configs as the worker reported them, against the fixtures' contract."""
    outcomes = []
    for name, expected in EXPECTED_CONFIGS.items():
        fixture = fixtures.get(name)
        detail = ""
        if fixture is None:
            detail = f"no fixture with config name {name!r}"
        else:
            wrong = {k: fixture.config.get(k) for k, v in expected.items() if fixture.config.get(k) != v}
            if wrong:
                detail = f"{name}: expected {expected}, got {wrong}"
        rules = [*CONFIG_RULES, *EXTRA_CONFIG_RULES.get(name, ())]
        outcomes.append(Outcome(f"config: {name}", rules, "MUST", not detail, 0.0, detail))
    schema = fixtures.get("Schema")
    body = schema.config.get("bodySchema") if schema else None
    ok = isinstance(body, dict) and all(body.get(k) == v for k, v in SCHEMA_BODY.items())
    detail = "" if ok else f"Schema.bodySchema must be JSON Schema holding {SCHEMA_BODY}, got {body}"
    outcomes.append(Outcome("config: bodySchema converted to JSON Schema", list(SCHEMA_RULES), "MUST", ok, 0.0, detail))
    return outcomes


async def stream_auth_file(host: FakeHost, command: list[str], root: Path, languages: set[str]) -> Outcome | None:
    """The project's stream auth file: run by a TS/JS worker (authenticate), refused with
    LOAD_ERROR by any other (W-LOAD-5). None when the fixtures hold no such file."""
    file = next((root / name for name in AUTH_FILES if (root / name).is_file()), None)
    if file is None:
        return None
    started = time.monotonic()
    runs_it = bool(languages & {"typescript", "javascript"})
    name = "stream auth file: authenticate" if runs_it else "stream auth file: refused with LOAD_ERROR (TS/JS only)"
    rules = list(AUTH_RUN_RULES if runs_it else AUTH_REFUSED_RULES)
    session = WorkerSession(host, command, file, root)
    try:
        await session.start()
        first = (await session.hello()).message
        if not runs_it:
            expect(first.WhichOneof("kind") == "load_failure", f"expected LoadFailure, got {describe(first)}")
            code = first.load_failure.error.code
            expect(code == "LOAD_ERROR", f"LoadFailure code: expected LOAD_ERROR, got {code!r}")
            return Outcome(name, rules, "MUST", True, time.monotonic() - started)
        expect(first.WhichOneof("kind") == "hello", f"expected Hello, got {describe(first)}")
        config = json.loads(first.hello.config_json)
        expect(config == AUTH_CONFIG, f"the auth file's config_json: expected {AUTH_CONFIG}, got {config}")
        expect(list(first.hello.functions) == ["authenticate"], f"Hello.functions: {list(first.hello.functions)}")
        await session.welcome("")
        cases: list[tuple[dict[str, Any], Any]] = [
            ({"headers": {"authorization": "Bearer u1"}, "url": "/"}, {"userId": "u1"}),
            ({"headers": {}, "url": "/?token=u2"}, {"userId": "u2"}),
            ({"headers": {}, "url": "/"}, None),
        ]
        for n, (request, expected) in enumerate(cases):
            trace = await session.invoke(f"a{n}", AUTHENTICATE, request)
            expect(trace.result.WhichOneof("outcome") == "ok", f"authenticate({request}) failed: {trace.result}")
            got = json.loads(trace.result.ok.value_json or b"null")
            expect(got == expected, f"authenticate({request}): expected {expected}, got {got}")
        bad = await session.invoke("bad", AUTHENTICATE, {"headers": {"authorization": "Bearer bad"}, "url": "/"})
        expect(bad.result.WhichOneof("outcome") == "error", f"a throwing authenticate must fail: {bad.result}")
        expect("invalid token" in bad.result.error.message, f"its message: {bad.result.error.message!r}")
        return Outcome(name, rules, "MUST", True, time.monotonic() - started)
    except (ConformanceFailure, TimeoutError, OSError) as exc:
        return Outcome(name, rules, "MUST", False, time.monotonic() - started, str(exc) + session.output_tail(800))
    finally:
        await session.close()


async def load_failure(host: FakeHost, command: list[str], file: Path, root: Path) -> Outcome:
    """A file that cannot be loaded: one LoadFailure with the right code naming the file, nothing
    else, then the worker exits (W-FAIL-1..3)."""
    started = time.monotonic()
    key = file.name.replace("-", "_")
    # a name that says no code is a fixture mistake: the worker is then held to LOAD_ERROR
    code = next((c for part, c in FAILURE_CODES if part in key), "LOAD_ERROR")
    name = f"load failure: {file.relative_to(root)} -> {code}"
    details = [(word, cited) for part, word, cited in FAILURE_DETAILS if part in key]
    rules = [*LOAD_FAILURE_RULES, *(rule for _, cited in details for rule in cited)]
    session = WorkerSession(host, command, file, root)
    try:
        await session.start()
        first = await session.hello()
        msg = first.message
        expect(msg.WhichOneof("kind") == "load_failure", f"expected LoadFailure, got {describe(msg)}")
        got = msg.load_failure.error.code
        expect(got == code, f"LoadFailure code: expected {code}, got {got!r} ({msg.load_failure.error.message})")
        expect(
            file.name in msg.load_failure.error.message,
            f"the message must name the file: {msg.load_failure.error.message!r}",
        )
        for word, _ in details:
            expect(
                word in msg.load_failure.error.message,
                f"the message must name the field {word}: {msg.load_failure.error.message!r}",
            )
        try:
            more = await session.next_within(2)
        except StreamEnded:
            more = None
        if more is not None:
            raise ConformanceFailure(f"after its LoadFailure the worker sent {describe(more)}")
        session.end_stream()  # the host ends the call (H-FAIL-1)
        exit_code = await session.wait_exit(10)
        expect(exit_code is not None, "the worker still runs 10 s after its LoadFailure and the end of the stream")
        return Outcome(name, rules, "MUST", True, time.monotonic() - started)
    except (ConformanceFailure, TimeoutError, OSError) as exc:
        return Outcome(name, rules, "MUST", False, time.monotonic() - started, str(exc) + session.output_tail(800))
    finally:
        await session.close()


async def launch_problems(host: FakeHost, command: list[str], fixture: Fixture, root: Path) -> list[Outcome]:
    """A missing STEPHOST_* variable: no connection, exit (W-LAUNCH-2). A refused secret: exit (W-CONN-6)."""
    outcomes = []
    for name, cited, env, connects in LAUNCH_CASES:
        rules = list(cited)
        started = time.monotonic()
        session = WorkerSession(host, command, fixture.file, root)
        opened_before = host.rpc.streams_opened
        try:
            await session.start(extra_env=env)
            exit_code = await session.wait_exit(15)
            expect(exit_code is not None, "the worker still runs 15 s later")
            opened = host.rpc.streams_opened - opened_before
            if not connects:
                expect(opened == 0, f"the worker connected ({opened} stream(s)) though it must not (W-LAUNCH-2)")
            else:
                expect(opened == 1, f"the worker opened {opened} streams; one Connect in its life (W-CONN-5)")
            outcomes.append(Outcome(name, rules, "MUST", True, time.monotonic() - started, f"exit {exit_code}"))
        except (ConformanceFailure, OSError) as exc:
            outcomes.append(
                Outcome(name, rules, "MUST", False, time.monotonic() - started, str(exc) + session.output_tail(800))
            )
        finally:
            await session.close()
    return outcomes


async def run_check(host: FakeHost, command: list[str], check: Check, fixture: Fixture | None, root: Path) -> Outcome:
    started = time.monotonic()
    rules = list(check.rules)
    if fixture is None:
        return Outcome(check.name, rules, check.level, False, 0.0, f"no fixture with config name {check.fixture!r}")
    session = WorkerSession(host, command, fixture.file, root)
    try:
        await session.start(bare=check.bare_env)
        await session.ready(
            batch=check.batch,
            max_message_bytes=check.max_message_bytes,
            extra_capabilities=dict(check.extra_capabilities),
            hold_welcome_s=check.hold_welcome_s,
        )
        await asyncio.wait_for(check.run(session), CHECK_TIMEOUT_S)
        await session.close()
        if session.violations:  # a rule broken on the way (EVERY_MESSAGE_RULES)
            raise ConformanceFailure("; ".join(session.violations[:5]))
        return Outcome(check.name, rules, check.level, True, time.monotonic() - started)
    except (ConformanceFailure, TimeoutError, OSError) as exc:
        detail = str(exc) or type(exc).__name__
        return Outcome(
            check.name, rules, check.level, False, time.monotonic() - started, detail + session.output_tail(800)
        )
    finally:
        await session.close()


def every_message_outcome(host: FakeHost) -> Outcome:
    """The rules watched on every message of the run, as one line of their own."""
    detail = "\n".join(host.violations[:20])
    return Outcome("every message of the run", list(EVERY_MESSAGE_RULES), "MUST", not host.violations, 0.0, detail)


def print_outcome(outcome: Outcome) -> None:
    line = f"{outcome.status}  {outcome.check}  [{', '.join(outcome.rules)}]  {outcome.seconds:.2f} s"
    print(line, flush=True)
    if not outcome.passed:
        for detail_line in outcome.detail.splitlines():
            print(f"      {detail_line}", flush=True)


async def run_suite(command: list[str], root: Path, only: str | None = None) -> list[Outcome]:
    host = FakeHost()
    await host.start()
    outcomes: list[Outcome] = []
    try:
        fixtures: dict[str, Fixture] = {}
        files = fixture_files(root)
        if not files:
            raise ConformanceFailure(f"no step files in {root} (names like echo_step.py or echo.step.ts)")
        for file in files:
            outcome, fixture = await handshake(host, command, file, root)
            outcomes.append(outcome)
            print_outcome(outcome)
            if fixture is not None:
                fixtures[str(fixture.config.get("name"))] = fixture
        for outcome in config_outcomes(fixtures):
            outcomes.append(outcome)
            print_outcome(outcome)
        for file in sorted((root / LOAD_FAILURES).glob("*")) if (root / LOAD_FAILURES).is_dir() else []:
            outcome = await load_failure(host, command, file, root)
            outcomes.append(outcome)
            print_outcome(outcome)
        if "Echo" in fixtures:
            for outcome in await launch_problems(host, command, fixtures["Echo"], root):
                outcomes.append(outcome)
                print_outcome(outcome)
        languages = {f.hello.language for f in fixtures.values()}
        auth = await stream_auth_file(host, command, root, languages)
        if auth is not None:
            outcomes.append(auth)
            print_outcome(auth)
        for check in CHECKS:
            if only and only.lower() not in check.name.lower():
                continue
            outcome = await run_check(host, command, check, fixtures.get(check.fixture), root)
            outcomes.append(outcome)
            print_outcome(outcome)
        outcomes.append(every_message_outcome(host))
        print_outcome(outcomes[-1])
    finally:
        await host.stop()
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    return {
        "checks": len(outcomes),
        "passed": sum(o.passed for o in outcomes),
        "failed": sum(o.status == "FAIL" for o in outcomes),
        "warnings": sum(o.status == "WARN" for o in outcomes),
    }


def run_conformance_command(worker: str, fixtures: Path, json_out: Path | None, only: str | None) -> int:
    try:
        command = split_command(worker)
    except ValueError as exc:
        print(f"stephost conformance: {exc}", file=sys.stderr)
        return 2
    if not fixtures.is_dir():
        print(f"stephost conformance: --fixtures {fixtures} is not a folder", file=sys.stderr)
        return 2
    root = fixtures.resolve()
    print(f"conformance of `{worker}` on {root}", flush=True)
    try:
        outcomes = asyncio.run(run_suite(command, root, only))
    except ConformanceFailure as exc:
        print(f"stephost conformance: {exc}", file=sys.stderr)
        return 2
    counts = summary(outcomes)
    print(
        f"\n{counts['passed']} of {counts['checks']} checks passed, {counts['failed']} failed, "
        f"{counts['warnings']} warning(s) (SHOULD rules)"
    )
    if json_out is not None:
        json_out.write_text(
            json.dumps(
                {"worker": worker, "fixtures": str(root), "summary": counts, "checks": [asdict(o) for o in outcomes]},
                indent=2,
            )
        )
    return 1 if counts["failed"] else 0
