from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from stephost.cron.expression import CronExpressionError, parse_cron

UTC = UTC


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("* * * * *", datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC), datetime(2026, 1, 1, 0, 1, tzinfo=UTC)),
        (
            "*/15 * * * *",
            datetime(2026, 1, 1, 0, 14, 59, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 15, tzinfo=UTC),
        ),
        ("0 9 * * 1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 5, 9, 0, tzinfo=UTC)),
        (
            "*/5 * * * * *",
            datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC),
        ),
        ("30 0 0 1 1 *", datetime(2026, 6, 1, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC)),
        # strictly after: an instant that is itself a slot gives the next one
        ("0 * * * *", datetime(2026, 1, 1, 1, 0, 0, tzinfo=UTC), datetime(2026, 1, 1, 2, 0, tzinfo=UTC)),
    ],
)
def test_next_fire_time_is_strictly_after_the_given_instant(
    expression: str, after: datetime, expected: datetime
) -> None:
    assert parse_cron(expression).next_after(after) == expected


def test_a_time_zone_moves_the_fire_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    fire = parse_cron("0 9 * * *").next_after(datetime(2026, 1, 1, tzinfo=UTC), berlin)
    assert fire.astimezone(UTC) == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["", "* * *", "* * * * * * *", "61 * * * *", "x * * * *", "* * 32 * *"])
def test_invalid_expressions_are_refused_with_the_expression_named(bad: str) -> None:
    with pytest.raises(CronExpressionError, match="invalid cron expression"):
        parse_cron(bad)
