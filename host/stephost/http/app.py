"""The Quart app: every path goes through the registry's router to an api step's worker."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Quart, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from stephost.dlq import DeadLetterQueue
from stephost.errors import CtxRefused, StorageUnavailable
from stephost.http.admin import register_dlq_routes
from stephost.http.api_ingress import ApiIngress
from stephost.http.asgi import ASGIApp
from stephost.http.http_settings import HttpSettings
from stephost.http.request import MalformedBody, api_payload
from stephost.http.responses import add_cors_headers, json_response
from stephost.http.stream_socket import register_stream_socket
from stephost.http.workbench import register_workbench
from stephost.openapi import ApiInfo, openapi_document
from stephost.registry import Registry
from stephost.state.base import StateStore
from stephost.streams.access import StreamAccess
from stephost.streams.service import StreamService
from stephost.trace import new_trace_id
from stephost.types import LogSink
from stephost.workbench.recorder import WorkbenchRecorder
from stephost.workers.supervisor import StepWorker

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
OPENAPI_PATH = "/openapi.json"

ExternalEmit = Callable[[str, Any, str], Awaitable[None]]


def create_app(
    registry: Registry,
    workers: Callable[[str], StepWorker],
    log_sink: LogSink,
    status: Callable[[], list[dict[str, Any]]],
    *,
    settings: HttpSettings,
    emit: ExternalEmit,
    dlq: DeadLetterQueue,
    streams: StreamService,
    stream_access: StreamAccess,
    api_info: ApiInfo | None = None,
    workbench: WorkbenchRecorder | None = None,
    state: StateStore | None = None,
) -> ASGIApp:
    """Build the HTTP app over `registry`; `workers(step_name)` gives the step's worker.

    api routes are served by `ApiIngress` on raw ASGI; the rest by a Quart app behind it.

    `state` is only read, by the Workbench's state browser.
    """
    app = Quart("stephost")
    app.config["MAX_CONTENT_LENGTH"] = settings.body_limit

    def too_large(trace_id: str) -> Response:
        return json_response(413, {"error": f"request body is over the {settings.body_limit}-byte limit"}, trace_id)

    @app.errorhandler(StorageUnavailable)
    async def storage_down(exc: StorageUnavailable) -> Response:
        # Any endpoint of the host's own (POST /emit, the DLQ API) while Redis is down.
        return json_response(503, {"error": exc.message, "code": exc.code}, new_trace_id())

    @app.after_request
    async def cors(response: Response) -> Response:
        add_cors_headers(response, settings.cors, request.headers.get("origin"))
        return response

    @app.get("/__stephost/health")
    async def health() -> Response:
        return json_response(200, {"ok": True}, new_trace_id())

    @app.get("/__stephost/workers")
    async def worker_status() -> Response:
        return json_response(200, {"workers": status()}, new_trace_id())

    if settings.admin_api:
        register_dlq_routes(app, dlq)
    if workbench is not None:
        # Before the stream socket: its `/<path:path>` would otherwise be a candidate for /__workbench/ws.
        register_workbench(app, workbench, registry, dlq, status, state)
    register_stream_socket(app, streams, stream_access, max_pending=settings.stream_client_max_pending)

    async def builtin_emit(trace_id: str) -> Response:
        """`POST /emit {topic, data}`: Motia's built-in, for trying flows from outside."""
        raw = await request.get_data(cache=False)
        assert isinstance(raw, bytes)
        try:
            payload = api_payload(
                method="POST", headers=list(request.headers.items()), query=[], path_params={}, raw_body=raw
            )
        except MalformedBody as exc:
            return json_response(400, {"error": str(exc)}, trace_id)
        body = payload["body"]
        if not isinstance(body, dict) or not isinstance(body.get("topic"), str) or not body["topic"]:
            return json_response(
                400,
                {"error": 'POST /emit needs a JSON body {"topic": "<topic>", "data": <any>}'},
                trace_id,
            )
        try:
            await emit(body["topic"], body.get("data"), trace_id)
        except CtxRefused as exc:
            return json_response(400, {"error": exc.message, "code": exc.code}, trace_id)
        return json_response(
            200, {"success": True, "emitted": {"topic": body["topic"], "data": body.get("data")}}, trace_id
        )

    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    async def dispatch(path: str) -> Response:
        trace_id = new_trace_id()
        method = request.method
        try:
            # api routes are served by ApiIngress before Quart; a match here is under a reserved prefix
            _, allowed = registry.find_route(method, request.path)
            if method == "OPTIONS" and settings.cors.enabled:
                # A preflight for a route without its own OPTIONS step: answered here, as Motia does.
                return _preflight(trace_id)
            if method == "POST" and request.path == "/emit" and settings.emit_endpoint:
                return await builtin_emit(trace_id)
            if method == "GET" and request.path == OPENAPI_PATH:
                return openapi_response(trace_id)
        except RequestEntityTooLarge:
            return too_large(trace_id)
        if allowed:
            return json_response(
                405,
                {"error": f"method {method} not allowed on {request.path}", "allowed": sorted(set(allowed))},
                trace_id,
                {"Allow": ", ".join(sorted(set(allowed)))},
            )
        return json_response(404, {"error": f"no route for {method} {request.path}"}, trace_id)

    def openapi_response(trace_id: str) -> Response:
        """`GET /openapi.json`: the api steps' routes (a step's own route of that path wins)."""
        document = openapi_document(registry.steps.values(), api_info or ApiInfo(title="stephost"))
        response = Response(json.dumps(document, ensure_ascii=False), status=200, content_type="application/json")
        response.headers["x-trace-id"] = trace_id
        return response

    def _preflight(trace_id: str) -> Response:
        response = Response(b"", status=204)
        del response.headers["content-type"]
        response.headers["x-trace-id"] = trace_id
        return response

    return ApiIngress(registry, workers, log_sink, app, settings=settings, workbench=workbench)
