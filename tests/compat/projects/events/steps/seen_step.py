config = {
    "type": "api",
    "name": "Seen",
    "path": "/seen/:who/:traceId",
    "method": "GET",
    "emits": [],
}


async def handler(req, context):
    value = await context.state.get(f"seen-by-{req.pathParams['who']}", req.pathParams["traceId"])
    return {"status": 200, "body": {"value": value}}
