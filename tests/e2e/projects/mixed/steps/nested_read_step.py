config = {
    "type": "api",
    "name": "NestedRead",
    "path": "/nested/:key",
    "method": "GET",
    "emits": [],
}


async def handler(req, context):
    value = await context.state.get("nested", req.pathParams["key"])
    return {"status": 200, "body": {"value": value, "found": value is not None}}
