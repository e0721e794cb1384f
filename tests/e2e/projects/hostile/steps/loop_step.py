config = {
    "type": "api",
    "name": "PyLoop",
    "path": "/py/loop",
    "method": "GET",
    "emits": [],
    "infrastructure": {"handler": {"timeout": 2}},
}


async def handler(req, context):
    if req.queryParams.get("spin") == "1":
        while True:  # holds the worker's event loop: no pong, no cancel
            pass
    return {"status": 200, "body": {"alive": True}}
