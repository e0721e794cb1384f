"""One error tree for the host. Codes are shared with every SDK (docs/protocol.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

# Stable codes: the same strings travel in proto `Error.code` and are defined
# again in sdk_python and sdk_node; tests check the three lists agree.
HANDLER_ERROR = "HANDLER_ERROR"
CANCELLED = "CANCELLED"
LOAD_ERROR = "LOAD_ERROR"
CONFIG_MISSING = "CONFIG_MISSING"
HANDLER_MISSING = "HANDLER_MISSING"
INVALID_RESPONSE = "INVALID_RESPONSE"
UNKNOWN_INVOCATION = "UNKNOWN_INVOCATION"
EMIT_NOT_DECLARED = "EMIT_NOT_DECLARED"
INVALID_EMIT_DATA = "INVALID_EMIT_DATA"
STREAM_NOT_FOUND = "STREAM_NOT_FOUND"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
WORKER_CRASHED = "WORKER_CRASHED"
TIMEOUT = "TIMEOUT"
STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
INTERNAL = "INTERNAL"

ERROR_CODES = (
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
)


class StephostError(Exception):
    """Base of every error the host raises on purpose."""

    code: str = INTERNAL

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with one step file: where it is and what is wrong."""

    file: str
    step: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.step:
            where += f" (step {self.step!r})"
        if self.field:
            where += f" field {self.field!r}"
        return f"{where}: {self.message}"


class ConfigError(StephostError):
    """Raised when one or more step files are invalid; carries every problem found."""

    code = LOAD_ERROR

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} invalid step file(s):\n{lines}")


class InvocationFailed(StephostError):
    """Raised when an invocation ends in an error: the handler threw, the worker died, it timed out."""

    def __init__(self, code: str, message: str, *, stack: str = "", name: str = "") -> None:
        super().__init__(message, code=code)
        self.stack = stack
        self.name = name


class CtxRefused(StephostError):
    """Raised by the host's ctx service when a worker's ctx call is not allowed or malformed."""


class WorkerUnavailable(StephostError):
    """Raised when a step's worker cannot be started or is not ready in time."""

    code = WORKER_CRASHED


class PortInUse(StephostError):
    """Raised when the HTTP port is already taken by another process."""


class StorageUnavailable(StephostError):
    """Raised when the shared store (Redis) cannot be reached: nothing was stored or read.

    Callers see it as a clear, retryable failure (api: 503); the store reconnects
    with backoff on its own.
    """

    code = STORAGE_UNAVAILABLE
