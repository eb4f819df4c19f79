"""Sessions to expiry and the days-to-expiry master key, counted by hand on the 2025-2026 calendar."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.instruments.dte import DteKey, dte_key, dte_keys, minute_of_session, sessions_to_expiry


@pytest.fixture(scope="module")
def calendar() -> MarketCalendar:
    return MarketCalendar.load()


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=IST)


@pytest.mark.parametrize(
    ("day", "expiry", "sessions"),
    [
        # NIFTY before September 2025 expired on Thursdays
        (date(2025, 8, 18), date(2025, 8, 21), 3),  # Mon → Thu: Tue, Wed, Thu
        (date(2025, 8, 25), date(2025, 8, 28), 2),  # Wed 27 Aug is a holiday: Tue, Thu
        (date(2025, 8, 29), date(2025, 9, 2), 2),  # the first Tuesday expiry: Mon, Tue
        # ... and on Tuesdays after it
        (date(2025, 9, 8), date(2025, 9, 9), 1),  # a Monday is now 1 session from expiry, not 3
        (date(2025, 9, 4), date(2025, 9, 9), 3),  # a Thursday is what a Monday used to be: Fri, Mon, Tue
        # SENSEX moved the other way, Tuesday → Thursday
        (date(2025, 8, 25), date(2025, 8, 26), 1),
        (date(2025, 9, 1), date(2025, 9, 4), 3),
        # Tue 24 Nov 2026 is a holiday: that week's expiry is Monday 23, which is then 0 sessions away
        (date(2026, 11, 23), date(2026, 11, 23), 0),
        (date(2026, 11, 20), date(2026, 11, 23), 1),
        (date(2026, 11, 16), date(2026, 11, 17), 1),  # the Monday of a normal week
        # Diwali 2025: Tue 21 Oct is a holiday with a Muhurat session (it counts), Wed 22 a holiday
        (date(2025, 10, 17), date(2025, 10, 20), 1),
        (date(2025, 10, 20), date(2025, 10, 28), 5),  # Tue 21 (Muhurat), Thu 23, Fri 24, Mon 27, Tue 28
    ],
)
def test_sessions_to_expiry_by_hand(calendar: MarketCalendar, day: date, expiry: date, sessions: int) -> None:
    assert sessions_to_expiry(day, expiry, calendar) == sessions


def test_the_same_key_for_alike_days_of_different_weekday_rules(calendar: MarketCalendar) -> None:
    monday_before = dte_key("NIFTY", "this_week", date(2025, 8, 21), at(date(2025, 8, 18), 10, 0), calendar)
    thursday_after = dte_key("NIFTY", "this_week", date(2025, 9, 9), at(date(2025, 9, 4), 10, 0), calendar)
    monday_after = dte_key("NIFTY", "this_week", date(2025, 9, 9), at(date(2025, 9, 8), 10, 0), calendar)
    assert monday_before == thursday_after == DteKey("NIFTY", "this_week", 3, 45)
    assert monday_after == DteKey("NIFTY", "this_week", 1, 45)
    moved_monday = dte_key("NIFTY", "this_week", date(2026, 11, 23), at(date(2026, 11, 23), 15, 29), calendar)
    assert moved_monday == DteKey("NIFTY", "this_week", 0, 374)


def test_minute_of_session(calendar: MarketCalendar) -> None:
    assert minute_of_session(at(date(2026, 1, 5), 9, 15), calendar) == 0
    assert minute_of_session(at(date(2026, 1, 5), 15, 29), calendar) == 374
    assert minute_of_session(at(date(2025, 10, 21), 14, 0), calendar) == 15  # Muhurat opens at 13:45
    with pytest.raises(ValueError, match="not within a trading session"):
        minute_of_session(at(date(2026, 1, 5), 15, 30), calendar)
    with pytest.raises(ValueError, match="before"):
        sessions_to_expiry(date(2026, 1, 6), date(2026, 1, 5), calendar)


def test_keys_of_overview_rows(calendar: MarketCalendar) -> None:
    overview = pd.DataFrame({
        "timestamp": [at(date(2026, 11, 20), 9, 15), at(date(2026, 11, 23), 9, 16), at(date(2026, 12, 30), 9, 17)],
        "index": ["NIFTY", "NIFTY", "NIFTY"],
        "expiry_this_week": [date(2026, 11, 23), date(2026, 11, 23), date(2026, 12, 30)],
        "expiry_next_week": [date(2026, 12, 1), None, date(2027, 1, 5)],
    })
    keys = dte_keys(overview, calendar, tags=("this_week", "next_week"))
    assert list(keys.columns) == ["timestamp", "expiry", "index", "expiry_tag", "sessions_to_expiry", "minute_of_session"]
    got = [(r.expiry_tag, r.sessions_to_expiry, r.minute_of_session) for r in keys.itertuples()]
    # 20 Nov → 1 Dec: Mon 23, Wed 25, Thu 26, Fri 27, Mon 30, Tue 1 (Tue 24 a holiday) = 6;
    # 2027 is not in the holiday file yet: its weekdays count as provisional sessions (Thu 31 Dec, Fri 1, Mon 4,
    # Tue 5 Jan), until the exchange's list is imported
    assert got[:4] == [("this_week", 1, 0), ("next_week", 6, 0), ("this_week", 0, 1), ("this_week", 0, 2)]
    assert got[4] == ("next_week", 4, 2)
