config = {"type": "api", "name": "Handled", "path": "/handled", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": sorted(await context.state.get_group("handled"), key=lambda h: h["n"])}
