import stripe_payments_sdk  # not installed: the step cannot load

config = {"type": "event", "name": "Charge", "subscribes": ["invoice.sent"], "emits": []}


async def handler(data, context):
    stripe_payments_sdk.charge(data)
