"""The hot path: a request for an api step, served on raw ASGI straight to the step's worker.

Quart costs about as much per request as Hypercorn itself (request context, werkzeug
routing and headers, response objects, after-request hooks): half of what a bare Quart
app spends. api routes are the traffic that matters, so they skip it; everything else
(the host's own endpoints, the Workbench, stream WebSockets, 404/405, preflights, /emit,
/openapi.json) goes on to the Quart app, which gives the same errors as before.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from stephost import errors
from stephost.config import RESERVED_PATH_PREFIXES, StepDefinition
from stephost.errors import InvocationFailed, WorkerUnavailable
from stephost.http.asgi import ASGIApp, Receive, Scope, Send
from stephost.http.http_settings import HttpSettings
from stephost.http.request import MalformedBody, api_payload
from stephost.http.responses import CONTENT_TYPES, cors_headers, json_body
from stephost.registry import Registry, RouteMatch
from stephost.trace import new_trace_id
from stephost.types import ApiResult, Invocation, LogRecord, LogSink, Trigger
from stephost.validation import Problem, unknown_query_params
from stephost.workbench.recorder import WorkbenchRecorder, invocation_outcome
from stephost.workers.supervisor import StepWorker

Headers = list[tuple[bytes, bytes]]

# How long an invocation runs before its caller's disconnect is watched (see ApiIngress._invoke).
DISCONNECT_WATCH_AFTER_S = 0.02


class _TooLarge(Exception):
    pass


class ApiIngress:
    """ASGI app: api routes are invoked here, every other request goes to `fallback`."""

    def __init__(
        self,
        registry: Registry,
        workers: Callable[[str], StepWorker],
        log_sink: LogSink,
        fallback: ASGIApp,
        *,
        settings: HttpSettings,
        workbench: WorkbenchRecorder | None,
    ) -> None:
        self._registry = registry
        self._workers = workers
        self._log_sink = log_sink
        self._fallback = fallback
        self._settings = settings
        self._workbench = workbench

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(RESERVED_PATH_PREFIXES):
            match, _ = self._registry.find_route(scope["method"], scope["path"])
            if match is not None:
                await self._serve(match, scope, receive, send)
                return
        await self._fallback(scope, receive, send)

    async def _serve(self, match: RouteMatch, scope: Any, receive: Receive, send: Send) -> None:
        trace_id = new_trace_id()
        step = match.route.step
        method: str = scope["method"]
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        origin = next((v for k, v in headers if k.lower() == "origin"), None)

        async def reply(status: int, body: bytes, extra: Headers) -> None:
            out = [*extra, (b"x-trace-id", trace_id.encode())]
            names = {k.lower() for k, _ in out}
            for name, value in cors_headers(self._settings.cors, origin):
                if name == b"vary" or name not in names:
                    out.append((name, value))
            out.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": out, "trailers": False})
            await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body, "more_body": False})

        async def error(status: int, body: dict[str, Any], extra: Headers | None = None) -> None:
            await reply(status, json_body(body, trace_id), [(b"content-type", b"application/json"), *(extra or [])])

        try:
            raw = await self._read_body(headers, receive)
        except _TooLarge:
            await error(413, {"error": f"request body is over the {self._settings.body_limit}-byte limit"})
            return
        if raw is None:
            return  # the caller left before its body arrived: nobody to answer
        try:
            query = parse_qsl(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True)
            payload = api_payload(
                method=method, headers=headers, query=query, path_params=match.path_params, raw_body=raw
            )
        except MalformedBody as exc:
            await error(400, {"error": str(exc)})
            return
        problems = self._request_problems(step, payload)
        if problems:
            await error(400, _problems_body(step, problems))
            return
        invocation = Invocation(
            trigger=Trigger.API,
            payload=payload,
            trace_id=trace_id,
            timeout_s=step.handler_limits.timeout_s or self._settings.api_timeout_s,
        )
        started = time.time()
        try:
            result = await self._invoke(step, invocation, receive)
        except _CallerGone:
            return
        except (WorkerUnavailable, InvocationFailed) as exc:
            self._record(step, trace_id, started, exc, None, method, scope["path"])
            status, body = self._failure(step, trace_id, exc)
            await error(status, body)
            return
        self._record(step, trace_id, started, None, result.status if isinstance(result, ApiResult) else None,
                     method, scope["path"])  # fmt: skip
        if not isinstance(result, ApiResult):
            message = f"step {step.name!r} returned no response: its handler must return {{status, body, headers?}}"
            self._log("error", message, step, trace_id)
            await error(500, {"error": message})
            return
        if self._settings.dev:
            self._check_response(step, result, trace_id)
        await reply(result.status, result.body, _result_headers(result))

    async def _read_body(self, headers: list[tuple[str, str]], receive: Receive) -> bytes | None:
        """The whole body (None if the caller left first); _TooLarge over the body limit."""
        limit: int = self._settings.body_limit
        declared = next((v for k, v in headers if k.lower() == "content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _invoke(self, step: StepDefinition, invocation: Invocation, receive: Receive) -> Any:
        """Run the invocation; if the caller disconnects meanwhile, it is cancelled (the worker
        is told) and _CallerGone raised: a handler never runs on for nobody.

        The disconnect is watched (a task waiting on `receive`) only once the invocation has
        run for DISCONNECT_WATCH_AFTER_S: most are answered sooner, and a task made and
        cancelled per request was ~3 % of the host's CPU per GET. A caller who left earlier
        is seen as soon as the watch starts: Hypercorn keeps its http.disconnect queued."""
        task = asyncio.current_task()
        assert task is not None
        gone = False
        watch: asyncio.Future[Any] | None = None

        def on_message(done: asyncio.Future[Any]) -> None:
            nonlocal gone
            # After the body, the only message left to come is http.disconnect.
            if not done.cancelled() and done.exception() is None:
                gone = True
                task.cancel()

        def start_watch() -> None:
            nonlocal watch
            watch = asyncio.ensure_future(receive())
            watch.add_done_callback(on_message)

        timer = asyncio.get_running_loop().call_later(DISCONNECT_WATCH_AFTER_S, start_watch)
        try:
            return await self._workers(step.name).invoke(invocation)
        except asyncio.CancelledError:
            if gone and task.uncancel() == 0:
                raise _CallerGone from None
            raise
        finally:
            timer.cancel()
            if watch is not None:
                watch.remove_done_callback(on_message)
                watch.cancel()

    def _request_problems(self, step: StepDefinition, payload: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        if step.query_params:
            problems += unknown_query_params(payload["queryParams"], step.query_params)
        if step.body_validator is not None:
            problems += step.body_validator.problems(payload["body"], "body")
        return problems

    def _failure(
        self, step: StepDefinition, trace_id: str, exc: WorkerUnavailable | InvocationFailed
    ) -> tuple[int, dict[str, Any]]:
        """The status and body for a failed invocation; the cause is logged."""
        if isinstance(exc, WorkerUnavailable):
            self._log("error", exc.message, step, trace_id, code=exc.code)
            return 503, {"error": exc.message, "step": step.name}
        fields: dict[str, Any] = {"code": exc.code}
        if exc.stack:
            fields["stack"] = exc.stack
        self._log("error", f"{exc.name + ': ' if exc.name else ''}{exc.message}", step, trace_id, **fields)
        if exc.code == errors.TIMEOUT:
            return 504, {"error": exc.message}
        if exc.code == errors.STORAGE_UNAVAILABLE:
            return 503, {"error": exc.message, "code": exc.code}
        if exc.code == errors.HANDLER_ERROR:
            return 500, {"error": "Internal server error"}
        return 500, {"error": exc.message, "code": exc.code}

    def _check_response(self, step: StepDefinition, result: ApiResult, trace_id: str) -> None:
        """In dev, a response that breaks the step's own responseSchema is worth a warning."""
        validator = step.response_validators.get(str(result.status))
        if validator is None or result.body_kind != "json":
            return
        problems = validator.problems(json.loads(result.body), "response")
        if problems:
            self._log(
                "warn",
                f"response {result.status} does not match the step's responseSchema",
                step,
                trace_id,
                details=[p.as_json() for p in problems],
            )

    def _record(
        self,
        step: StepDefinition,
        trace_id: str,
        started: float,
        error: BaseException | None,
        status: int | None,
        method: str,
        path: str,
    ) -> None:
        if self._workbench is None:
            return
        self._workbench.record(
            "invocation",
            trace_id,
            step.name,
            trigger="api",
            language=step.language,
            method=method,
            path=path,
            status=status,
            start=int(started * 1000),
            durationMs=round((time.time() - started) * 1000, 1),
            **invocation_outcome(error),
        )

    def _log(self, level: str, msg: str, step: StepDefinition, trace_id: str | None, **fields: Any) -> None:
        self._log_sink(
            LogRecord(
                level=level,
                msg=msg,
                step=step.name,
                time_ms=int(time.time() * 1000),
                trace_id=trace_id,
                flows=step.flows,
                fields=fields,
            )
        )


class _CallerGone(Exception):
    pass


def _problems_body(step: StepDefinition, problems: list[Problem]) -> dict[str, Any]:
    return {
        "error": (
            f"request body does not match the schema of step {step.name!r}"
            if any(p.path.startswith("body") for p in problems)
            else f"query parameters do not match the queryParams of step {step.name!r}"
        ),
        "details": [p.as_json() for p in problems],
    }


def _result_headers(result: ApiResult) -> Headers:
    """The handler's headers as it gave them; a content type from the body's kind if it set none.
    Content-Length is always the host's: it knows the body it sends."""
    out: Headers = []
    has_type = False
    for name, value in result.headers:
        lower = name.lower()
        if lower in ("content-length", "transfer-encoding"):
            continue
        has_type = has_type or lower == "content-type"
        out.append((name.encode("latin-1", "replace"), value.encode("latin-1", "replace")))
    if not has_type and result.body_kind in CONTENT_TYPES:
        out.append((b"content-type", CONTENT_TYPES[result.body_kind].encode()))
    return out
