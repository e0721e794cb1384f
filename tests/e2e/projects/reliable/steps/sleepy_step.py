import asyncio

config = {
    "type": "event",
    "name": "Sleepy",
    "subscribes": ["sleepy"],
    "emits": [],
    "infrastructure": {"handler": {"timeout": 1}, "queue": {"maxRetries": 0}},
}


async def handler(data, context):
    await asyncio.sleep(10)
