"""What the host knows of a Redis setting without loading the Redis client (a host on the
SQLite default never imports redis-py): the default key prefix and a URL fit to print."""

from __future__ import annotations

DEFAULT_PREFIX = "stephost"


def redact(url: str) -> str:
    """`url` without its credentials, for logs and errors."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
