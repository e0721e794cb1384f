"""Error codes and the SDK's one exception tree.

The codes are the stable strings of docs/protocol.md section 5; the Node SDK and
the host use the very same strings, so a code read from a log means the same thing
whichever language raised it.
"""

from __future__ import annotations

from typing import Final

HANDLER_ERROR: Final = "HANDLER_ERROR"
CANCELLED: Final = "CANCELLED"
LOAD_ERROR: Final = "LOAD_ERROR"
CONFIG_MISSING: Final = "CONFIG_MISSING"
HANDLER_MISSING: Final = "HANDLER_MISSING"
INVALID_RESPONSE: Final = "INVALID_RESPONSE"
UNKNOWN_INVOCATION: Final = "UNKNOWN_INVOCATION"
EMIT_NOT_DECLARED: Final = "EMIT_NOT_DECLARED"
INVALID_EMIT_DATA: Final = "INVALID_EMIT_DATA"
STREAM_NOT_FOUND: Final = "STREAM_NOT_FOUND"
INVALID_ARGUMENT: Final = "INVALID_ARGUMENT"
WORKER_CRASHED: Final = "WORKER_CRASHED"
TIMEOUT: Final = "TIMEOUT"
STORAGE_UNAVAILABLE: Final = "STORAGE_UNAVAILABLE"
INTERNAL: Final = "INTERNAL"

ALL_CODES: Final = frozenset(
    {
        HANDLER_ERROR,
        CANCELLED,
        LOAD_ERROR,
        CONFIG_MISSING,
        HANDLER_MISSING,
        INVALID_RESPONSE,
        UNKNOWN_INVOCATION,
        EMIT_NOT_DECLARED,
        INVALID_EMIT_DATA,
        STREAM_NOT_FOUND,
        INVALID_ARGUMENT,
        WORKER_CRASHED,
        TIMEOUT,
        STORAGE_UNAVAILABLE,
        INTERNAL,
    }
)


class StepError(Exception):
    """Raised in a handler when a ctx call fails.

    Raised when the host refuses a ctx call (`code` is the host's, e.g.
    EMIT_NOT_DECLARED or STREAM_NOT_FOUND), when a ctx argument cannot be sent
    (INVALID_ARGUMENT), when the invocation was cancelled (CANCELLED) or when the
    connection to the host is gone (INTERNAL). Handlers may catch it and branch on
    `.code`.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class LoadError(StepError):
    """Raised when the step file cannot be turned into a runnable step.

    Raised when the file does not import (LOAD_ERROR), exports no `config`
    (CONFIG_MISSING), exports no `handler` for a non-noop step (HANDLER_MISSING),
    or has a config that cannot be serialised (LOAD_ERROR). `stack` holds the
    formatted traceback when there is one; the worker sends it in LoadFailure.
    """

    def __init__(self, code: str, message: str, stack: str = "") -> None:
        super().__init__(code, message)
        self.stack = stack


class InvalidResponseError(StepError):
    """Raised when an API handler returns something that is not a response.

    Raised for a return value that is not a dict (or an object convertible to one),
    a `status` that is not an HTTP status code, malformed `headers`, or a body that
    is not JSON-serialisable. Always code INVALID_RESPONSE.
    """

    def __init__(self, message: str) -> None:
        super().__init__(INVALID_RESPONSE, message)


class HostUnreachableError(StepError):
    """Raised by the worker when the host's socket cannot be reached.

    Raised when the channel is not ready within the connect timeout or the host
    ends the stream before Welcome (for example UNAUTHENTICATED); the worker then
    exits with code 3.
    """

    def __init__(self, message: str) -> None:
        super().__init__(INTERNAL, message)
