"""Must NOT pass `mypy --strict`: wrong data for a declared topic, and an undeclared topic."""

from __future__ import annotations

from stephost_types import NotifyOrderContext, NotifyOrderInput


async def handler(input: NotifyOrderInput, context: NotifyOrderContext) -> None:
    await context.emit({"topic": "order.notified", "data": {"orderId": input["orderId"], "channel": "fax"}})
    await context.emit({"topic": "order.shipped", "data": {"orderId": input["orderId"]}})
