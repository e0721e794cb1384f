config = {"type": "api", "name": "Write", "path": "/write/:stream/:group/:id", "method": "POST", "emits": []}


async def handler(req, context):
    p = req.pathParams
    item = await context.streams[p["stream"]].set(p["group"], p["id"], req.body)
    return {"status": 200, "body": item}
