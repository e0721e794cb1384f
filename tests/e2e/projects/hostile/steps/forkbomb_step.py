import os
import time

config = {
    "type": "api",
    "name": "ForkBomb",
    "path": "/py/forkbomb",
    "method": "GET",
    "emits": [],
    "infrastructure": {"handler": {"timeout": 5}},
}


def handler(req, context):
    if req.queryParams.get("go") != "1":
        return {"status": 200, "body": {"alive": True}}
    forked = 0
    while forked < 1000:  # bounded, so a missing limit cannot sink the machine
        try:
            pid = os.fork()
        except OSError:
            continue  # a real bomb keeps trying
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        forked += 1
    return {"status": 200, "body": {"forked": forked}}
