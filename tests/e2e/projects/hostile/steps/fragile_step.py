from pathlib import Path

# A worker that dies at start while the flag file exists: a crash loop on demand.
if (Path(__file__).parent.parent / "crash.flag").exists():
    raise SystemExit(9)

config = {"type": "api", "name": "Fragile", "path": "/fragile", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"alive": True}}
