import time

config = {
    "type": "event",
    "name": "Delayed",
    "subscribes": ["delayed"],
    "emits": [],
    "infrastructure": {"queue": {"delaySeconds": 1}},
}


async def handler(data, context):
    await context.state.set("delayed", data["id"], {"sentAt": data["sentAt"], "ranAt": time.time()})
