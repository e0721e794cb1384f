"""Cron expressions as pure functions: parse once, compute the next fire time from a given instant.

5 fields are minute-resolution; 6 fields put seconds first (node-cron, which classic
Motia uses). Times are computed in the given time zone (UTC by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from croniter import CroniterBadCronError, croniter


class CronExpressionError(ValueError):
    """Raised when a cron expression does not have 5 or 6 valid fields."""


@dataclass(frozen=True)
class CronExpression:
    text: str
    has_seconds: bool

    def next_after(self, instant: datetime, tz: tzinfo = UTC) -> datetime:
        """The first fire time strictly after `instant` (an aware datetime), in `tz`."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        it = croniter(self.text, instant.astimezone(tz), second_at_beginning=self.has_seconds)
        result = it.get_next(datetime)
        assert isinstance(result, datetime)
        return result


def parse_cron(text: str) -> CronExpression:
    """Validate `text` and return it parsed; the error names the expression and the problem."""
    fields = text.split()
    if len(fields) not in (5, 6):
        raise CronExpressionError(f"invalid cron expression {text!r}: expected 5 or 6 fields, got {len(fields)}")
    has_seconds = len(fields) == 6
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC), second_at_beginning=has_seconds).get_next(datetime)
    except (CroniterBadCronError, ValueError, KeyError) as exc:
        raise CronExpressionError(f"invalid cron expression {text!r}: {exc}") from exc
    return CronExpression(text=" ".join(fields), has_seconds=has_seconds)
