from .helpers import add_hop

config = {
    "type": "event",
    "name": "ChainMiddle",
    "subscribes": ["chain.started"],
    "emits": ["chain.continued"],
    "input": {"type": "object", "properties": {"n": {"type": "number"}, "path": {"type": "array"}}},
}


async def handler(data, context):
    await context.emit({"topic": "chain.continued", "data": add_hop(data, "py", context.trace_id)})
