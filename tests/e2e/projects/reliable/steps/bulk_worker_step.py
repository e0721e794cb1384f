import asyncio
import uuid

config = {
    "type": "event",
    "name": "BulkWorker",
    "subscribes": ["bulk"],
    "emits": [],
    "infrastructure": {"queue": {"concurrency": 8}},
}


async def handler(data, context):
    await asyncio.sleep(0.005)
    # one record per handling, so duplicates (at-least-once) can be counted
    await context.state.set("bulk-runs", f"{data['id']}:{uuid.uuid4().hex}", data["id"])
