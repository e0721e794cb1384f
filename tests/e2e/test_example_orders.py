"""examples/orders runs as its README says: TS api -> Python event -> Python and Ruby api, and a JS cron."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from stephost.testing import HostProcess

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders"


def test_an_order_posted_in_typescript_is_stored_by_python_and_read_back_in_python_and_ruby() -> None:
    with HostProcess(EXAMPLE, mode="dev", extra_args=["--log-format", "json"]) as host:
        order = {"item": "coffee", "quantity": 2, "customer": {"name": "Ada", "email": "ada@example.com"}}
        created = httpx.post(host.url + "/orders", json=order)
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]
        assert created.json()["traceId"] == created.headers["x-trace-id"]

        deadline = time.monotonic() + 15
        got: Any = None
        while time.monotonic() < deadline:
            got = httpx.get(host.url + f"/orders/{order_id}")
            if got.status_code == 200:
                break
            time.sleep(0.05)
        assert got is not None and got.status_code == 200, got.text if got else None
        assert got.json() == {"id": order_id, **order, "status": "created"}

        missing = httpx.get(host.url + "/orders/nope")
        assert missing.status_code == 404
        assert missing.json() == {"error": "order nope not found"}

        # the Ruby step reads what the Python step stored
        receipt = httpx.get(host.url + f"/orders/{order_id}/receipt")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json() == {"orderId": order_id, "line": "2 x coffee", "for": "Ada", "language": "ruby"}
        assert httpx.get(host.url + "/orders/nope/receipt").status_code == 404

        # the cron step runs every 10 s and logs the count; a tick before the order was stored logs 0
        deadline = time.monotonic() + 25
        counts: list[Any] = []
        while time.monotonic() < deadline and not (counts and counts[-1] >= 1):
            counts = [r["count"] for r in host.log_records() if r.get("step") == "CountOrders" and "count" in r]
            time.sleep(0.2)
        assert counts and counts[-1] >= 1
