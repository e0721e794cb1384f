config = {"type": "api", "name": "Ticks", "path": "/ticks", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"count": await context.state.get("ticks", "count")}}
