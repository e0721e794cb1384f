config = {
    "type": "api",
    "name": "DeleteMessage",
    "path": "/rooms/:room/messages/:id",
    "method": "DELETE",
    "emits": [],
}


async def handler(req, context):
    old = await context.streams.chat.delete(req.pathParams["room"], req.pathParams["id"])
    return {"status": 200, "body": {"deleted": old}}
