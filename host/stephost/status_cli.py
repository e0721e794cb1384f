"""`stephost status`: what a running host's workers are doing, from its own status endpoint."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def run_status_command(host: str, port: int, as_json: bool) -> int:
    url = f"http://{host}:{port}/__stephost/workers"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            workers: list[dict[str, Any]] = json.loads(response.read())["workers"]
    except (urllib.error.URLError, OSError) as exc:
        print(f"stephost: no host answers on {host}:{port} ({exc})", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(workers, indent=2))
        return 0
    columns = ("step", "language", "state", "pid", "uptime_s", "restarts", "rss_mb", "cpu_percent", "in_flight")
    rows = [[_cell(w.get(c)) for c in columns] for w in workers]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    for w in workers:
        if w.get("unhealthy") or (w.get("last_error") and w.get("state") != "ready"):
            print(f"\n{w['step']}: {w.get('last_error')}")
    return 0
