from ..lib.outcome import failure

config = {
    "type": "api",
    "name": "PyEmitter",
    "path": "/py/emit",
    "method": "POST",
    "emits": ["audit.recorded", "typed.thing", "nobody.listens"],
    "flows": ["audit"],
}


async def handler(req, context):
    body = req["body"]
    event = {"topic": body["topic"], "data": body.get("data")}
    if body.get("uncaught"):
        await context.emit(event)
        return {"status": 200, "body": {"emitted": body["topic"]}}
    try:
        await context.emit(event)
    except Exception as exc:
        return {"status": 200, "body": failure(exc)}
    return {"status": 200, "body": {"emitted": body["topic"]}}
