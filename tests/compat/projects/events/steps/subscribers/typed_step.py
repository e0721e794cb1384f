from typing import Literal

from pydantic import BaseModel


class TypedThing(BaseModel):
    kind: Literal["a", "b"]
    size: int


config = {
    "type": "event",
    "name": "TypedPy",
    "subscribes": ["typed.thing"],
    "emits": [],
    "input": TypedThing.model_json_schema(),
    "flows": ["audit"],
}


async def handler(input_data, context):
    await context.state.set("seen-by-py", context.trace_id, input_data)
