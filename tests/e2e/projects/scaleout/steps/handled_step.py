config = {"type": "api", "name": "Handled", "path": "/handled/:group", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": await context.state.get_group(req["pathParams"]["group"])}
