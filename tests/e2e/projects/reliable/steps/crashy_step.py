import os

config = {"type": "event", "name": "Crashy", "subscribes": ["crashy"], "emits": []}


async def handler(data, context):
    if context.attempt == 1:
        os._exit(7)  # the whole worker dies mid-invocation
    await context.state.set("crashy", data["id"], {"attempt": context.attempt})
