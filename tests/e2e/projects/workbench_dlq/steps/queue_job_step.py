from typing import Any

config = {
    "type": "api",
    "name": "QueueJob",
    "path": "/jobs/:id",
    "method": "POST",
    "emits": ["job.queued"],
    "virtualEmits": [{"topic": "job.audited", "label": "audit"}],
    "flows": ["jobs"],
}


async def handler(req: Any, ctx: Any) -> dict[str, Any]:
    await ctx.emit({"topic": "job.queued", "data": {"id": req.pathParams["id"]}})
    return {"status": 202, "body": {"queued": req.pathParams["id"]}}
