import asyncio

config = {
    "type": "event",
    "name": "Slow",
    "subscribes": ["slow"],
    "emits": [],
    "infrastructure": {"queue": {"concurrency": 1}},
}


async def handler(data, context):
    await asyncio.sleep(0.3)
    await context.state.set("slow", data["id"], {"attempt": context.attempt})
