config = {"type": "api", "name": "Start", "path": "/start", "method": "POST", "emits": ["slow.go"]}

async def handler(req, ctx):
    await ctx.emit({"topic": "slow.go", "data": {}})
    return {"status": 200, "body": {"ok": True}}
