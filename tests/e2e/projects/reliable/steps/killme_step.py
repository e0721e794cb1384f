import asyncio

config = {"type": "event", "name": "KillMe", "subscribes": ["killme"], "emits": []}


async def handler(data, context):
    await context.state.set("killme-started", str(context.attempt), True)
    if context.attempt == 1:
        await asyncio.sleep(30)  # the test SIGKILLs this worker meanwhile
    await context.state.set("killme", data["id"], {"attempt": context.attempt})
