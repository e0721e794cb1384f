from pydantic import BaseModel


class Customer(BaseModel):
    name: str
    email: str


class Line(BaseModel):
    sku: str
    qty: int


class Invoice(BaseModel):
    customer: Customer
    lines: list[Line]


class InvoiceCreated(BaseModel):
    id: str
    customer: Customer


config = {
    "type": "api",
    "name": "CreateInvoice",
    "description": "Bill a customer\nThe invoice is kept nowhere: this step only answers.",
    "path": "/customers/:customerId/invoices",
    "method": "POST",
    "bodySchema": Invoice,
    "responseSchema": {201: InvoiceCreated, 404: {"type": "object", "properties": {"error": {"type": "string"}}}},
    "queryParams": [{"name": "draft", "description": "1: do not number the invoice yet"}],
    "emits": ["invoice.created"],
    "flows": ["billing"],
}


async def handler(req, context):
    invoice_id = f"inv-{req.pathParams['customerId']}"
    await context.emit({"topic": "invoice.created", "data": {"id": invoice_id}})
    return {"status": 201, "body": {"id": invoice_id, "customer": req.body["customer"]}}
