config = {"type": "api", "name": "DupRoute", "path": "/good", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {}}
