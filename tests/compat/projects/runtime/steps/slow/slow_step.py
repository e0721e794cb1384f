import threading
import time

from src.services.work import crunch

config = {
    "type": "api",
    "name": "SlowSync",
    "description": "A plain def handler that blocks",
    "path": "/slow",
    "method": "GET",
    "emits": [],
    "queryParams": [{"name": "ms"}, {"name": "tag"}],
    "flows": ["work"],
}


def handler(req, context):
    started = time.time()
    slept = crunch(int(req["queryParams"].get("ms", "0")))
    return {
        "status": 200,
        "body": {
            "tag": req["queryParams"].get("tag"),
            "slept": slept,
            "started": started,
            "finished": time.time(),
            "thread": threading.current_thread().name,
        },
    }
