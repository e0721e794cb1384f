config = {
    "type": "api",
    "name": "ChainResult",
    "path": "/chain/:traceId",
    "method": "GET",
    "emits": [],
}


async def handler(req, context):
    result = await context.state.get("chain", req.pathParams["traceId"])
    if result is None:
        return {"status": 404, "body": {"error": "not yet"}}
    return {"status": 200, "body": result}
