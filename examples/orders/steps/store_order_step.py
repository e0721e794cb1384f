from pydantic import BaseModel


class Customer(BaseModel):
    name: str
    email: str


class Order(BaseModel):
    id: str
    item: str
    quantity: int
    customer: Customer
    status: str


config = {
    "type": "event",
    "name": "StoreOrder",
    "description": "Keep every created order in state",
    "subscribes": ["order.created"],
    "emits": [],
    "input": Order,
    "flows": ["orders"],
}


async def handler(order, context):
    await context.state.set("orders", order["id"], order)
    context.logger.info("order stored", {"orderId": order["id"]})
