from pydantic import BaseModel
from src.services.ids import order_key


class OrderCreated(BaseModel):
    id: str
    email: str
    total: float


config = {
    "type": "event",
    "name": "StoreOrder",
    "description": "Keep every created order in state",
    "subscribes": ["order.created"],
    "emits": [],
    "input": OrderCreated,  # a Pydantic class, not model_json_schema(): stephost converts it
    "flows": ["orders"],
}


async def handler(input_data, context):
    order = OrderCreated(**input_data)
    await context.state.set("orders", order_key(order.id), order.model_dump())
    context.logger.info("order stored", {"id": order.id})
