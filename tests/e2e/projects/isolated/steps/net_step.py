import os
import socket

config = {"type": "api", "name": "PyNet", "path": "/py/net", "method": "GET", "emits": []}


def handler(req, context):
    try:
        socket.create_connection(("127.0.0.1", int(req.queryParams["port"])), timeout=3).close()
        reached = True
        error = None
    except OSError as exc:
        reached = False
        error = type(exc).__name__
    return {"status": 200, "body": {"reached": reached, "error": error, "uid": os.getuid()}}
