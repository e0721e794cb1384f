config = {"type": "api", "name": "Good", "path": "/good", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"ok": True}}
