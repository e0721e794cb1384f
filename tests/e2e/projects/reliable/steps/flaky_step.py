config = {
    "type": "event",
    "name": "Flaky",
    "subscribes": ["flaky"],
    "emits": [],
    "infrastructure": {"queue": {"maxRetries": 3}},
}


async def handler(data, context):
    await context.state.set("flaky-attempts", f"{data['id']}-{context.attempt}", context.event_id)
    if context.attempt < 3:
        raise RuntimeError(f"flaky failure on attempt {context.attempt}")
    await context.state.set("flaky", data["id"], {"attempt": context.attempt, "eventId": context.event_id})
