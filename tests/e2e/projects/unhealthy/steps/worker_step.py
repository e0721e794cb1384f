from pathlib import Path

# Dies at start while the flag file exists: a crash loop on demand.
if (Path(__file__).parent.parent / "crash.flag").exists():
    raise SystemExit(9)

# No retries: an attempt spent on a crashed or unhealthy worker would dead-letter the event.
config = {
    "type": "event",
    "name": "Worker",
    "subscribes": ["work"],
    "emits": [],
    "infrastructure": {"queue": {"maxRetries": 0}},
}


async def handler(data, context):
    await context.state.set("handled", str(data["n"]), {"n": data["n"], "traceId": context.trace_id})
