config = {"type": "api", "name": "ReadRoom", "path": "/rooms/:room", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": await context.streams.chat.get_group(req.pathParams["room"])}
