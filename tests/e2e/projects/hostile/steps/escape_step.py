import os
import subprocess
import sys

config = {"type": "api", "name": "PyEscape", "path": "/py/escape", "method": "GET", "emits": []}


def handler(req, context):
    how = req.queryParams.get("how")
    if how == "spawn":
        # A child in a session of its own, out of the worker's process group: a kill of that
        # group misses it. It keeps the worker's stdout and stderr, so it holds those pipes too.
        tag = req.queryParams.get("tag", "stephost-escapee")
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", tag], start_new_session=True)
        return {"status": 200, "body": {"pid": child.pid}}
    if how == "exit":
        os._exit(3)
    return {"status": 200, "body": {"alive": True}}
