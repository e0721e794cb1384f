config = {
    "type": "api",
    "name": "ListThings",
    "path": "/things",
    "method": "GET",
    "emits": [],
}


async def handler(req, context):
    return {"status": 200, "body": [{"id": "ts-1"}, {"id": "py-1"}]}
