from steps.identity import describe

config = {"type": "api", "name": "WhoamiOne", "path": "/whoami/one", "method": "GET", "emits": []}


async def handler(req, context):
    print("hello from one")
    return {"status": 200, "body": describe()}
