config = {
    "type": "api",
    "name": "PyResponder",
    "path": "/py/respond/:kind",
    "method": "GET",
    "emits": [],
}


async def handler(req, context):
    kind = req["pathParams"]["kind"]
    if kind == "json":
        return {"status": 200, "body": {"lang": "py", "list": [1, "two", None], "nested": {"ok": True}}}
    if kind == "text":
        return {"status": 200, "body": "plain words from py"}
    if kind == "csv":
        return {"status": 200, "body": "a,b\n1,2\n", "headers": {"content-type": "text/csv"}}
    if kind == "bytes":
        return {
            "status": 200,
            "body": bytes([0, 1, 2, 253, 254, 255]),
            "headers": {"content-type": "application/x-demo"},
        }
    if kind == "headers":
        return {
            "status": 200,
            "body": {"ok": True},
            "headers": {"x-powered-by": "py-step", "cache-control": "no-store"},
        }
    if kind == "created":
        return {"status": 201, "body": {"id": "py-1"}, "headers": {"location": "/things/py-1"}}
    if kind == "empty":
        return {"status": 204}
    if kind == "teapot":
        return {"status": 418, "body": {"error": "I'm a teapot"}}
    if kind == "nothing":
        return None
    return {"status": 404, "body": {"error": "no such kind"}}
