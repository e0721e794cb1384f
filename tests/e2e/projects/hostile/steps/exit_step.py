import ctypes
import sys

config = {"type": "api", "name": "PyExit", "path": "/py/exit", "method": "GET", "emits": []}


async def handler(req, context):
    how = req.queryParams.get("how")
    if how == "exit":
        sys.exit(3)
    if how == "segfault":
        ctypes.string_at(0)
    return {"status": 200, "body": {"alive": True}}
