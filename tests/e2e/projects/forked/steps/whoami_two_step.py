from steps.identity import describe

config = {"type": "api", "name": "WhoamiTwo", "path": "/whoami/two", "method": "GET", "emits": []}


async def handler(req, context):
    print("hello from two")
    return {"status": 200, "body": describe()}
