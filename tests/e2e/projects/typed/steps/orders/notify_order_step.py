"""Tell the customer: a Python event step whose input is a Pydantic model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from stephost_types import NotifyOrderContext, NotifyOrderInput


class Item(BaseModel):
    sku: str
    qty: int


class OrderCreated(BaseModel):
    orderId: str
    shop: str
    total: float
    items: list[Item]
    note: str | None = None


config = {
    "type": "event",
    "name": "NotifyOrder",
    "subscribes": ["order.created"],
    "emits": ["order.notified"],
    "input": OrderCreated,
    "flows": ["orders"],
}


async def handler(input: NotifyOrderInput, context: NotifyOrderContext) -> None:
    skus = [item["sku"] for item in input["items"]]
    context.logger.info("notifying", {"order": input["orderId"], "skus": skus})
    await context.emit(
        {"topic": "order.notified", "data": {"orderId": input["orderId"], "channel": "email", "extra": {"n": 1}}}
    )
