"""Log records from steps and from the host, printed readably (dev) or as JSON lines."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from typing import IO, Any

from stephost.types import LogRecord, LogSink

LEVEL_ORDER = {"debug": 10, "info": 20, "warn": 30, "error": 40}
_COLORS = {"debug": "\033[90m", "info": "\033[36m", "warn": "\033[33m", "error": "\033[31m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"
_DIM = "\033[2m"


class ConsoleLogSink:
    """Writes each record as one line (plus an indented stack when there is one)."""

    def __init__(self, *, fmt: str = "pretty", min_level: str = "info", out: IO[str] | None = None) -> None:
        self.fmt = fmt
        self.min_level = LEVEL_ORDER.get(min_level, 20)
        self._out = out or sys.stdout
        self._color = fmt == "pretty" and _wants_color(self._out)

    def __call__(self, record: LogRecord) -> None:
        if LEVEL_ORDER.get(record.level, 20) < self.min_level:
            return
        line = self._json(record) if self.fmt == "json" else self._pretty(record)
        self._out.write(line + "\n")
        self._out.flush()

    @staticmethod
    def _json(record: LogRecord) -> str:
        body: dict[str, Any] = {
            **record.fields,
            "level": record.level,
            "time": record.time_ms,
            "msg": record.msg,
            "step": record.step,
            "traceId": record.trace_id,
            "flows": list(record.flows),
        }
        return json.dumps(body, default=str, ensure_ascii=False)

    def _pretty(self, record: LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.time_ms / 1000))
        stamp += f".{record.time_ms % 1000:03d}"
        level = record.level.upper().ljust(5)
        if self._color:
            level = f"{_COLORS.get(record.level, '')}{level}{_RESET}"
        step = f"{_BOLD}{record.step}{_RESET}" if self._color else record.step
        trace = ""
        if record.trace_id:
            trace = f" {_DIM}[{record.trace_id}]{_RESET}" if self._color else f" [{record.trace_id}]"
        fields = {k: v for k, v in record.fields.items() if k != "stack"}
        extra = " " + json.dumps(fields, default=str, ensure_ascii=False) if fields else ""
        line = f"{stamp} {level} {step}{trace} {record.msg}{extra}"
        stack = record.fields.get("stack")
        if isinstance(stack, str) and stack:
            line += "\n" + "\n".join("    " + s for s in stack.rstrip().splitlines())
        return line


def _wants_color(out: IO[str]) -> bool:
    """Color on a terminal, as is the custom: NO_COLOR turns it off, FORCE_COLOR on (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(out, "isatty") and out.isatty()


def host_record(level: str, msg: str, **fields: Any) -> LogRecord:
    """A record from the host itself (not a step)."""
    return LogRecord(level=level, msg=msg, step="stephost", time_ms=int(time.time() * 1000), fields=fields)


_PY_LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn"}


class SinkHandler(logging.Handler):
    """Routes the host's own `logging` records (loggers under "stephost") into the log sink,
    so a warning from deep inside (a store outage, a broken stream) reads like every other
    host line, in the chosen format, instead of bare text on stderr."""

    def __init__(self, sink: LogSink) -> None:
        super().__init__()
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        level = _PY_LEVELS.get(record.levelno, "error")
        fields: dict[str, Any] = {"logger": record.name}
        if record.exc_info and record.exc_info[1] is not None:
            fields["stack"] = "".join(traceback.format_exception(*record.exc_info))
        self._sink(host_record(level, record.getMessage(), **fields))


def route_host_logging(sink: LogSink) -> None:
    """Send the "stephost" loggers to `sink` (INFO and up), and only there; the HTTP server's
    ("uvicorn.error") too, its errors only."""
    for name, level in (("stephost", logging.INFO), ("uvicorn.error", logging.ERROR)):
        logger = logging.getLogger(name)
        logger.addHandler(SinkHandler(sink))
        logger.setLevel(level)
        logger.propagate = False
