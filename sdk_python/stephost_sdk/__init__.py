"""stephost's Python SDK: the worker that runs one Python step file.

Step code rarely imports anything from here; the names below are for type hints
(`context: Context`, `req: Request`) and for handling ctx errors by code
(`except StepError as e: if e.code == EMIT_NOT_DECLARED: ...`). The worker itself
runs as `python -m stephost_sdk.worker` and is not imported by step code, so
importing this package does not load gRPC.
"""

from . import _ssl_on_demand

_ssl_on_demand.install()  # first: before anything below imports asyncio

from .context import Context, Logger, State, Stream, Streams  # noqa: E402
from .errors import (  # noqa: E402
    CANCELLED,
    CONFIG_MISSING,
    EMIT_NOT_DECLARED,
    HANDLER_ERROR,
    HANDLER_MISSING,
    INTERNAL,
    INVALID_ARGUMENT,
    INVALID_RESPONSE,
    LOAD_ERROR,
    STREAM_NOT_FOUND,
    TIMEOUT,
    UNKNOWN_INVOCATION,
    WORKER_CRASHED,
    HostUnreachableError,
    InvalidResponseError,
    LoadError,
    StepError,
)
from .request import Request  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "CANCELLED",
    "CONFIG_MISSING",
    "EMIT_NOT_DECLARED",
    "HANDLER_ERROR",
    "HANDLER_MISSING",
    "INTERNAL",
    "INVALID_ARGUMENT",
    "INVALID_RESPONSE",
    "LOAD_ERROR",
    "STREAM_NOT_FOUND",
    "TIMEOUT",
    "UNKNOWN_INVOCATION",
    "WORKER_CRASHED",
    "Context",
    "HostUnreachableError",
    "InvalidResponseError",
    "LoadError",
    "Logger",
    "Request",
    "State",
    "StepError",
    "Stream",
    "Streams",
    "__version__",
]
