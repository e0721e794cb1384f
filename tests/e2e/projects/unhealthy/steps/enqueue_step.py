config = {"type": "api", "name": "Enqueue", "path": "/enqueue", "method": "POST", "emits": ["work"]}


async def handler(req, context):
    for n in range(req["body"]["count"]):
        await context.emit({"topic": "work", "data": {"n": n}})
    return {"status": 202, "body": {"queued": req["body"]["count"]}}
