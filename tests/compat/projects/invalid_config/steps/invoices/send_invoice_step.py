# Same step name as send_invoice.step.ts: step names must be unique in a project.
config = {
    "type": "event",
    "name": "SendInvoice",
    "subscribes": ["invoice.requested"],
    "emits": [],
}


async def handler(data, context):
    pass
