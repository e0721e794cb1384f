import os

config = {"type": "api", "name": "Crash", "path": "/crash", "method": "GET", "emits": []}


async def handler(req, context):
    os._exit(7)
