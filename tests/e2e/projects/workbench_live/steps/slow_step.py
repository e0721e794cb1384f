import asyncio

config = {"type": "event", "name": "Slow", "subscribes": ["slow.go"], "emits": []}

async def handler(data, ctx):
    await asyncio.sleep(0.5)
    await ctx.state.set("slow", ctx.trace_id, {"done": True})
    ctx.logger.info("slow done")
