config = {"type": "api", "name": "Results", "path": "/results/:group", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": await context.state.get_group(req.pathParams["group"])}
