"""Dead-letters its first event (maxRetries 0); a replay succeeds, so the Workbench test sees both."""

from typing import Any

config = {
    "type": "event",
    "name": "FailOnce",
    "subscribes": ["job.queued"],
    "emits": [],
    "flows": ["jobs"],
    "infrastructure": {"queue": {"maxRetries": 0}},
}


async def handler(data: Any, ctx: Any) -> None:
    seen = await ctx.state.get("jobs", data["id"])
    await ctx.state.set("jobs", data["id"], (seen or 0) + 1)
    if not seen:
        raise RuntimeError(f"job {data['id']} fails on its first attempt")
    ctx.logger.info("job done on replay", {"id": data["id"]})
