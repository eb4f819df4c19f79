"""Expiry tags roll at the expiry time of the contract's expiry date, not at midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.instruments import resolve_expiry_tags, tag_day

EXPIRY = date(2026, 12, 1)  # a Tuesday weekly
WEEKLIES = [EXPIRY, date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 29)]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 1, 0, 0, tzinfo=IST), EXPIRY),
        (datetime(2026, 12, 1, 15, 29, 59, tzinfo=IST), EXPIRY),
        (datetime(2026, 12, 1, 15, 30, tzinfo=IST), date(2026, 12, 2)),
        (datetime(2026, 12, 1, 23, 59, tzinfo=IST), date(2026, 12, 2)),
        (datetime(2026, 12, 1, 9, 59, tzinfo=UTC), date(2026, 12, 1)),  # 15:29 IST
        (datetime(2026, 12, 1, 10, 1, tzinfo=UTC), date(2026, 12, 2)),  # 15:31 IST
    ],
)
def test_tag_day_is_the_next_day_from_the_expiry_time(now: datetime, expected: date) -> None:
    assert tag_day(now) == expected


def test_naive_time_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        tag_day(datetime(2026, 12, 1, 15, 31))


def test_tags_roll_after_the_close_of_the_expiry_day() -> None:
    before = resolve_expiry_tags(WEEKLIES, tag_day(datetime(2026, 12, 1, 15, 29, tzinfo=IST)))
    after = resolve_expiry_tags(WEEKLIES, tag_day(datetime(2026, 12, 1, 15, 31, tzinfo=IST)))
    assert before == {"this_week": EXPIRY, "next_week": date(2026, 12, 8), "this_month": date(2026, 12, 29)}
    assert after == {"this_week": date(2026, 12, 8), "next_week": date(2026, 12, 15), "this_month": date(2026, 12, 29)}
