config = {"type": "api", "name": "Bulk", "path": "/bulk", "method": "POST", "emits": ["order.placed"]}


async def handler(req, context):
    first, count = req["body"]["first"], req["body"]["count"]
    for n in range(first, first + count):
        await context.emit({"topic": "order.placed", "data": {"id": n, "slow": True}})
    return {"status": 202, "body": {"queued": count}}
