"""Record notifications: a Python event step whose input is a plain JSON Schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stephost_types import AuditNotificationContext, AuditNotificationInput

config = {
    "type": "event",
    "name": "AuditNotification",
    "subscribes": ["order.notified"],
    "emits": [],
    "input": {
        "type": "object",
        "properties": {
            "orderId": {"type": "string"},
            "channel": {"enum": ["email", "sms"]},
            "retries": {"type": ["integer", "null"]},
            "extra": {"type": "object", "additionalProperties": {"type": "number"}},
        },
        "required": ["orderId", "channel"],
    },
}


async def handler(input: AuditNotificationInput, context: AuditNotificationContext) -> None:
    extra = input.get("extra", {})
    await context.state.set("notified", input["orderId"], {"channel": input["channel"], "extra": sum(extra.values())})
