config = {"type": "event", "name": "Misnamed", "subscribes": ["x"], "emits": []}


async def handler(data, context):
    pass
