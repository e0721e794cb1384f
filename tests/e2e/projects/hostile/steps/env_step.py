import os

config = {"type": "api", "name": "PyEnv", "path": "/py/env", "method": "GET", "emits": []}


def handler(req, context):
    return {"status": 200, "body": dict(os.environ)}
