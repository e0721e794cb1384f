import time

config = {
    "type": "event",
    "name": "Timed",
    "subscribes": ["timed"],
    "emits": [],
    "infrastructure": {"queue": {"maxRetries": 3}},
}


async def handler(data, context):
    await context.state.set("timed", str(context.attempt), time.time())
    if context.attempt < 4:
        raise RuntimeError("fail to exercise the backoff")
