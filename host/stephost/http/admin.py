"""JSON endpoints for the dead-letter queue (used by the Workbench and by scripts)."""

from __future__ import annotations

from quart import Quart, Response

from stephost.dlq import DeadLetterQueue, summary
from stephost.http.responses import json_response
from stephost.trace import new_trace_id


def register_dlq_routes(app: Quart, dlq: DeadLetterQueue) -> None:
    @app.get("/__stephost/dlq")
    async def dlq_list() -> Response:
        letters = await dlq.list()
        return json_response(200, {"deadLetters": [summary(d) for d in letters]}, new_trace_id())

    @app.get("/__stephost/dlq/<dead_letter_id>")
    async def dlq_show(dead_letter_id: str) -> Response:
        letter = await dlq.get(dead_letter_id)
        if letter is None:
            return json_response(404, {"error": f"no dead letter {dead_letter_id!r}"}, new_trace_id())
        return json_response(200, {"deadLetter": letter.as_json()}, new_trace_id())

    @app.post("/__stephost/dlq/<dead_letter_id>/replay")
    async def dlq_replay(dead_letter_id: str) -> Response:
        if not await dlq.replay(dead_letter_id):
            return json_response(404, {"error": f"no dead letter {dead_letter_id!r}"}, new_trace_id())
        return json_response(200, {"replayed": [dead_letter_id]}, new_trace_id())

    @app.post("/__stephost/dlq/replay-all")
    async def dlq_replay_all() -> Response:
        return json_response(200, {"replayed": await dlq.replay_all()}, new_trace_id())

    @app.delete("/__stephost/dlq")
    async def dlq_purge() -> Response:
        return json_response(200, {"purged": await dlq.purge()}, new_trace_id())
