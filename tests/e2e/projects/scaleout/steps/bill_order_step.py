import asyncio
import uuid

# Short lease: a delivery held by a host that died is taken over after 5 s.
config = {
    "type": "event",
    "name": "BillOrder",
    "subscribes": ["order.placed"],
    "emits": [],
    "infrastructure": {"handler": {"timeout": 3}, "queue": {"visibilityTimeout": 5, "concurrency": 16}},
}


async def handler(data, context):
    if data.get("slow"):
        await asyncio.sleep(0.02)
    # one record per handling, so a duplicate would show
    await context.state.set("billed", uuid.uuid4().hex, data["id"])
