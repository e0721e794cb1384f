"""Load the `ssl` module when something uses it, not when asyncio is imported.

asyncio imports `ssl` at import time, and with it libssl and libcrypto: 4 MiB of every
Python worker's idle RSS (docs/performance.md), for a worker that never speaks TLS (the
host is on a unix socket and grpc carries its own TLS). A step that does use TLS still
gets it: `import ssl` works as always, and asyncio's own references are a stand-in that
imports the real module on first use (`create_connection(ssl=True)`, an `SSLSocket`
check) and puts it back where asyncio keeps it.

`install()` must run before anything imports asyncio; it does nothing otherwise, or when
this Python's asyncio does not look as expected (it is written against 3.11's).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

# The asyncio modules that hold `ssl` as a global (3.11); sslproto also derives
# SSLAgainErrors from it at import time.
_HOLDERS = ("asyncio.sslproto", "asyncio.base_events", "asyncio.selector_events")


class _SslOnDemand(types.ModuleType):
    """Stands in for `ssl` in asyncio's modules until an attribute is read."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_load(), name)


def _load() -> types.ModuleType:
    real = importlib.import_module("ssl")
    for holder in _HOLDERS:
        module = sys.modules.get(holder)
        if module is not None:
            module.ssl = real  # type: ignore[attr-defined]
    sslproto = sys.modules.get("asyncio.sslproto")
    if sslproto is not None:
        sslproto.SSLAgainErrors = (real.SSLWantReadError, real.SSLSyscallError)  # type: ignore[attr-defined]
    return real


def install() -> None:
    """Import asyncio without `ssl`, then give its modules the stand-in."""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return  # too late to save anything; leave asyncio as it is
    sys.modules["ssl"] = None  # type: ignore[assignment]  # asyncio's `import ssl` fails: ssl = None
    try:
        for holder in _HOLDERS:
            importlib.import_module(holder)
    finally:
        del sys.modules["ssl"]  # `import ssl` works normally from here on
    stand_in = _SslOnDemand("ssl")
    holders = [sys.modules.get(name) for name in _HOLDERS]
    if any(module is None or getattr(module, "ssl", object()) is not None for module in holders):
        _load()  # not the asyncio this was written for: give it the real module now
        return
    for module in holders:
        module.ssl = stand_in  # type: ignore[union-attr]
