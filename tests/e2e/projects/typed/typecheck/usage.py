"""Checked with `mypy --strict`: the generated stubs used apart from a step file."""

from __future__ import annotations

from stephost_types import (
    CreateOrderContext,
    CreateOrderHandler,
    CreateOrderRequest,
    CreateOrderResponse,
    NightlyReportContext,
    NightlyReportHandler,
    OrderCreatedData,
    ReportDueEvent,
)


async def create_order(req: CreateOrderRequest, context: CreateOrderContext) -> CreateOrderResponse:
    shop = req["pathParams"]["shop"]
    data: OrderCreatedData = {"orderId": "o1", "shop": shop, "total": 1.5, "items": [{"sku": "a", "qty": 1}]}
    await context.emit({"topic": "order.created", "data": data, "messageGroupId": req["body"]["customer"]["email"]})
    await context.emit({"topic": "order.audit", "data": ["anything", 1]})
    await context.streams.orderStatus.set("orders", "o1", {"status": "placed", "total": 1.5})
    return {"status": 201, "body": {"id": "o1", "total": 1.5}}


def nightly(context: NightlyReportContext) -> None:
    event: ReportDueEvent = {
        "topic": "report.due",
        "data": {"kind": "weekly", "sections": [{"title": "a", "children": []}], "owner": None},
    }
    context.emit(event)
    context.logger.info("sent", {"trace": context.trace_id, "attempt": context.attempt})


checked_create: CreateOrderHandler = create_order
checked_nightly: NightlyReportHandler = nightly
