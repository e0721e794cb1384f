import asyncio

config = {
    "type": "event",
    "name": "Limited",
    "subscribes": ["limited"],
    "emits": [],
    "infrastructure": {"queue": {"concurrency": 2}},
}

_in_flight = 0  # one worker process per step, so a module global sees every invocation


async def handler(data, context):
    global _in_flight
    _in_flight += 1
    try:
        peak = await context.state.get("limited-peak", "peak") or 0
        if _in_flight > peak:
            await context.state.set("limited-peak", "peak", _in_flight)
        await asyncio.sleep(0.15)
        await context.state.set("limited", data["id"], True)
    finally:
        _in_flight -= 1
