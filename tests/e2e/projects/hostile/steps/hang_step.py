import time

config = {
    "type": "api",
    "name": "PyHang",
    "path": "/py/hang",
    "method": "GET",
    "emits": [],
    "infrastructure": {"handler": {"timeout": 120}},  # far off: the caller leaves long before
}


def handler(req, context):
    # A plain handler on a thread: it cannot be interrupted, so it ignores the host's Cancel.
    print(f"hanging {req.queryParams.get('tag', '')}", flush=True)
    time.sleep(float(req.queryParams.get("s", "0")))
    return {"status": 200, "body": {"alive": True}}
