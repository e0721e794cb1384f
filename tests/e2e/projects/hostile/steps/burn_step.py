import time

config = {
    "type": "api",
    "name": "Burn",
    "path": "/py/burn",
    "method": "GET",
    "emits": [],
    "infrastructure": {"handler": {"cpu": 0.2}},
}


def handler(req, context):
    started_wall, started_cpu = time.monotonic(), time.process_time()
    while time.monotonic() - started_wall < 2.0:
        pass
    return {"status": 200, "body": {"wall": time.monotonic() - started_wall, "cpu": time.process_time() - started_cpu}}
