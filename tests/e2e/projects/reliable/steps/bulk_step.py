config = {"type": "api", "name": "Bulk", "path": "/bulk", "method": "POST", "emits": ["bulk"]}


async def handler(req, context):
    for n in range(req.body["count"]):
        await context.emit({"topic": "bulk", "data": {"id": f"b{n}"}})
    return {"status": 202, "body": {"queued": req.body["count"]}}
