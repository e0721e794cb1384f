config = {
    "type": "event",
    "name": "RecordInvoice",
    "subscribes": ["invoice.created"],
    "emits": [],
    "input": {"type": "object", "properties": {"id": {"type": "string"}}},
    "flows": ["billing"],
}


async def handler(data, context):
    context.logger.info("invoice recorded", {"id": data["id"]})
