config = {
    "type": "event",
    "name": "Doomed",
    "subscribes": ["doomed"],
    "emits": [],
    "infrastructure": {"queue": {"maxRetries": 1}},
}


async def handler(data, context):
    raise ValueError(f"doomed job {data['id']} can never succeed")
