config = {"type": "api", "name": "PyEcho", "path": "/py/echo", "method": "POST", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"body": req.body, "headers": req.headers, "rawBody": req.rawBody}}
