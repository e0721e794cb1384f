config = {"type": "api", "name": "Typing", "path": "/rooms/:room/typing", "method": "POST", "emits": []}


async def handler(req, context):
    await context.streams["chat"].send({"groupId": req.pathParams["room"]}, {"type": "typing", "data": req.body})
    return {"status": 202, "body": {}}
