import time

config = {"type": "api", "name": "PySleep", "path": "/py/sleep", "method": "GET", "emits": []}


def handler(req, context):
    # a plain handler blocking its thread past the project's default timeout (stephost.json limits.timeout)
    time.sleep(float(req.queryParams.get("s", "0")))
    return {"status": 200, "body": {"alive": True}}
