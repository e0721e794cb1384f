config = {
    "type": "api",
    "name": "PySpin",
    "path": "/py/spin",
    "method": "GET",
    "emits": [],
    "infrastructure": {"handler": {"timeout": 120}},  # far off: the missed heartbeats come first
}


async def handler(req, context):
    if req.queryParams.get("spin") == "1":
        while True:  # holds the worker's event loop: no pong
            pass
    return {"status": 200, "body": {"alive": True}}
