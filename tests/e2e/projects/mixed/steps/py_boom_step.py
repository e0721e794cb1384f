config = {"type": "api", "name": "PyBoom", "path": "/py/boom", "method": "GET", "emits": []}


async def handler(req, context):
    raise ValueError("boom from python")
