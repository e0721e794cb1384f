from src.services.ids import order_key

config = {
    "type": "api",
    "name": "GetOrder",
    "path": "/orders/:id",
    "method": "GET",
    "emits": [],
    "flows": ["orders"],
}


async def handler(req, context):
    order = await context.state.get("orders", order_key(req.get("pathParams")["id"]))
    if order is None:
        return {"status": 404, "body": {"error": "order not found"}}
    return {"status": 200, "body": order}
