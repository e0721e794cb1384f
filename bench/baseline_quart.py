"""The baseline: a bare Quart app on Hypercorn answering the same JSON as the bench steps.

Usage: python bench/baseline_quart.py --port N

GET /ok answers {"ok": true}; POST /ok reads the JSON body first, as an api step's request does.
"""

from __future__ import annotations

import argparse
import asyncio

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request

app = Quart("baseline")


@app.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}


@app.post("/ok")
async def ok_post() -> dict[str, bool]:
    # Parse the body so the baseline pays for what the stephost POST step is handed.
    await request.get_json()
    return {"ok": True}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.accesslog = None
    config.errorlog = None
    asyncio.run(serve(app, config))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
