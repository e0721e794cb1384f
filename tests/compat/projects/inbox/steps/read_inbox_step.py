config = {
    "type": "api",
    "name": "ReadInbox",
    "path": "/inbox/:traceId",
    "method": "GET",
    "emits": [],
    "flows": ["inbox"],
}


async def handler(req, context):
    message = await context.state.get("inbox", req["pathParams"]["traceId"])
    if message is None:
        return {"status": 404, "body": {"error": "nothing yet"}}
    return {"status": 200, "body": message}
