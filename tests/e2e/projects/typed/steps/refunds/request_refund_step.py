"""Ask for a refund: a Python api step with a Pydantic body."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from stephost_types import RequestRefundContext, RequestRefundRequest, RequestRefundResponse


class RefundBody(BaseModel):
    orderId: str
    reason: Literal["damaged", "late", "other"]
    amount: float | None = None


config = {
    "type": "api",
    "name": "RequestRefund",
    "path": "/refunds",
    "method": "POST",
    "emits": ["refund.requested"],
    "bodySchema": RefundBody,
    "responseSchema": {202: {"type": "object", "properties": {"queued": {"type": "boolean"}}, "required": ["queued"]}},
}


async def handler(req: RequestRefundRequest, context: RequestRefundContext) -> RequestRefundResponse:
    body = req["body"]
    await context.emit({"topic": "refund.requested", "data": {"orderId": body["orderId"], "reason": body["reason"]}})
    await context.streams.refundFeed.set("refunds", body["orderId"], {"orderId": body["orderId"], "state": "open"})
    return {"status": 202, "body": {"queued": True}}
