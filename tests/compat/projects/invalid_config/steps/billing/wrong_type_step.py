config = {
    "type": "api",
    "name": "WrongType",
    "path": "/invoices/:id/pay",
    "method": "POST",
    "emits": "invoice.paid",  # must be a list
}


async def handler(req, context):
    return {"status": 200, "body": {}}
