"""Time to expiry: 15:30 Asia/Kolkata, ACT/365 in seconds, aware datetimes only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from g6_pipeline.analytics import year_fraction
from g6_pipeline.analytics.expiry_time import expiry_datetime, year_fractions
from g6_pipeline.core.clock import IST

YEAR = 365 * 86400


def test_expiry_is_1530_ist() -> None:
    assert expiry_datetime(date(2026, 3, 10)) == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    assert year_fraction(datetime(2026, 3, 10, 15, 30, tzinfo=IST), date(2026, 3, 10)) == 0.0


def test_seconds_and_days() -> None:
    expiry = date(2026, 3, 10)
    assert year_fraction(datetime(2026, 3, 9, 15, 30, tzinfo=IST), expiry) == pytest.approx(1 / 365, rel=1e-15)
    assert year_fraction(datetime(2026, 3, 10, 15, 29, tzinfo=IST), expiry) == pytest.approx(60 / YEAR, rel=1e-15)
    assert year_fraction(datetime(2026, 3, 10, 9, 15, 30, tzinfo=IST), expiry) == pytest.approx(22470 / YEAR, rel=1e-15)
    assert year_fraction(datetime(2026, 3, 10, 15, 31, tzinfo=IST), expiry) == pytest.approx(-60 / YEAR, rel=1e-15)


def test_other_timezones_give_the_same_instant() -> None:
    # 10:00 UTC is 15:30 IST: the original's bug took 15:30 UTC, 5.5 hours late.
    assert year_fraction(datetime(2026, 3, 10, 10, 0, tzinfo=UTC), date(2026, 3, 10)) == 0.0
    plus_one = timezone(timedelta(hours=1))
    assert year_fraction(datetime(2026, 3, 10, 10, 0, tzinfo=plus_one), date(2026, 3, 10)) == pytest.approx(3600 / YEAR)


def test_explicit_expiry_instant() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=IST)
    assert year_fraction(now, datetime(2026, 3, 10, 13, 0, tzinfo=IST)) == pytest.approx(3600 / YEAR)


def test_naive_datetimes_raise() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        year_fraction(datetime(2026, 3, 10, 12, 0), date(2026, 3, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        year_fraction(datetime(2026, 3, 10, 12, 0, tzinfo=IST), datetime(2026, 3, 10, 15, 30))
    with pytest.raises(TypeError):
        expiry_datetime(datetime(2026, 3, 10, 15, 30, tzinfo=IST))


def test_vector_form() -> None:
    now = datetime(2026, 3, 9, 15, 30, tzinfo=IST)
    np.testing.assert_allclose(year_fractions(now, [date(2026, 3, 10), date(2026, 3, 16)]), [1 / 365, 7 / 365])
