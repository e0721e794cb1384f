config = {"type": "api", "name": "Broken", "path": "/broken", "method": "GET", "emits": []}


async def handler(req, context)
    return {"status": 200, "body": {}}
