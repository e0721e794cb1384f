"""The Quart app: every path goes through the registry's router to an api step's worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from quart import Quart, Response, request

from stephost import errors
from stephost.errors import InvocationFailed, WorkerUnavailable
from stephost.http.request import MalformedBody, api_payload
from stephost.registry import Registry
from stephost.trace import new_trace_id
from stephost.types import ApiResult, Invocation, LogRecord, LogSink, Trigger
from stephost.workers.supervisor import StepWorker

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
DEFAULT_API_TIMEOUT_S = 30.0
_CONTENT_TYPES = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "bytes": "application/octet-stream",
}


def _json_response(status: int, body: dict[str, Any], trace_id: str, **headers: str) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    response.headers["x-trace-id"] = trace_id
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _to_response(result: ApiResult, trace_id: str) -> Response:
    response = Response(result.body, status=result.status)
    # Quart sets a default content type; only ours or the handler's may stand.
    del response.headers["content-type"]
    for name, value in result.headers:
        response.headers.add(name, value)
    if "content-type" not in response.headers and result.body_kind in _CONTENT_TYPES:
        response.headers["content-type"] = _CONTENT_TYPES[result.body_kind]
    response.headers["x-trace-id"] = trace_id
    return response


def create_app(
    registry: Registry,
    workers: Callable[[str], StepWorker],
    log_sink: LogSink,
    status: Callable[[], list[dict[str, Any]]],
) -> Quart:
    """Build the HTTP app over `registry`; `workers(step_name)` gives the step's worker."""
    app = Quart("stephost")
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024

    def log_failure(step: str, trace_id: str, exc: InvocationFailed | WorkerUnavailable) -> None:
        fields: dict[str, Any] = {"code": exc.code}
        if isinstance(exc, InvocationFailed) and exc.stack:
            fields["stack"] = exc.stack
        log_sink(
            LogRecord(
                level="error",
                msg=f"{exc.name + ': ' if isinstance(exc, InvocationFailed) and exc.name else ''}{exc.message}",
                step=step,
                time_ms=int(time.time() * 1000),
                trace_id=trace_id,
                fields=fields,
            )
        )

    @app.get("/__stephost/health")
    async def health() -> Response:
        return _json_response(200, {"ok": True}, new_trace_id())

    @app.get("/__stephost/workers")
    async def worker_status() -> Response:
        return _json_response(200, {"workers": status()}, new_trace_id())

    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    async def dispatch(path: str) -> Response:
        trace_id = new_trace_id()
        method = request.method
        match, allowed = registry.find_route(method, request.path)
        if match is None:
            if allowed:
                return _json_response(
                    405,
                    {
                        "error": f"method {method} not allowed on {request.path}",
                        "allowed": allowed,
                        "traceId": trace_id,
                    },
                    trace_id,
                    Allow=", ".join(sorted(set(allowed))),
                )
            return _json_response(
                404, {"error": f"no route for {method} {request.path}", "traceId": trace_id}, trace_id
            )
        step = match.route.step
        raw = await request.get_data(cache=False)
        assert isinstance(raw, bytes)
        try:
            payload = api_payload(
                method=method,
                headers=list(request.headers.items()),
                query=list(request.args.items(multi=True)),
                path_params=match.path_params,
                raw_body=raw,
            )
        except MalformedBody as exc:
            return _json_response(400, {"error": str(exc), "traceId": trace_id}, trace_id)
        invocation = Invocation(
            trigger=Trigger.API,
            payload=payload,
            trace_id=trace_id,
            timeout_s=step.handler_limits.timeout_s or DEFAULT_API_TIMEOUT_S,
        )
        try:
            result = await workers(step.name).invoke(invocation)
        except WorkerUnavailable as exc:
            log_failure(step.name, trace_id, exc)
            return _json_response(503, {"error": exc.message, "step": step.name, "traceId": trace_id}, trace_id)
        except InvocationFailed as exc:
            log_failure(step.name, trace_id, exc)
            if exc.code == errors.TIMEOUT:
                return _json_response(504, {"error": exc.message, "traceId": trace_id}, trace_id)
            if exc.code == errors.HANDLER_ERROR:
                return _json_response(500, {"error": "Internal server error", "traceId": trace_id}, trace_id)
            return _json_response(500, {"error": exc.message, "code": exc.code, "traceId": trace_id}, trace_id)
        if result is None:
            message = f"step {step.name!r} returned no response: its handler must return {{status, body, headers?}}"
            log_sink(
                LogRecord(
                    level="error",
                    msg=message,
                    step=step.name,
                    time_ms=int(time.time() * 1000),
                    trace_id=trace_id,
                )
            )
            return _json_response(500, {"error": message, "traceId": trace_id}, trace_id)
        return _to_response(result, trace_id)

    return app
