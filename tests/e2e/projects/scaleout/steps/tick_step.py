import time
import uuid

config = {"type": "cron", "name": "Tick", "cron": "* * * * * *", "emits": []}


async def handler(context):
    await context.state.set("ticks", uuid.uuid4().hex, time.time())
