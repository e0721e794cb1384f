config = {"type": "api", "name": "Chatty", "path": "/chatty", "method": "POST", "emits": []}

async def handler(req, ctx):
    for n in range(req.body["lines"]):
        ctx.logger.info(f"chat {n}")
    ctx.logger.info("chat over")
    return {"status": 200, "body": {"ok": True}}
