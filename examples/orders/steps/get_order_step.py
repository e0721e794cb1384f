config = {
    "type": "api",
    "name": "GetOrder",
    "description": "Read an order back",
    "path": "/orders/:id",
    "method": "GET",
    "emits": [],
    "flows": ["orders"],
}


async def handler(req, context):
    order_id = req["pathParams"]["id"]
    order = await context.state.get("orders", order_id)
    if order is None:
        return {"status": 404, "body": {"error": f"order {order_id} not found"}}
    return {"status": 200, "body": order}
