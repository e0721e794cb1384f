config = {"type": "api", "name": "PlaceOrder", "path": "/orders", "method": "POST", "emits": ["order.placed"]}


async def handler(req, context):
    await context.emit({"topic": "order.placed", "data": {"id": req["body"]["id"]}})
    return {"status": 202, "body": {"accepted": req["body"]["id"]}}
