from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import CalendarError, MarketCalendar
from g6_pipeline.core.clock import IST


def at(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=IST)


def test_session_bounds(calendar: MarketCalendar) -> None:
    assert not calendar.is_open(at(2026, 11, 19, 9, 14))
    assert calendar.is_open(at(2026, 11, 19, 9, 15))
    assert calendar.is_open(at(2026, 11, 19, 15, 29))
    assert not calendar.is_open(at(2026, 11, 19, 15, 30))
    minutes = calendar.session_minutes(date(2026, 11, 19))
    assert len(minutes) == 375 and minutes[0] == at(2026, 11, 19, 9, 15) and minutes[-1] == at(2026, 11, 19, 15, 29)


def test_holidays_and_weekends(calendar: MarketCalendar) -> None:
    assert not calendar.is_trading_day(date(2026, 11, 24))  # Guru Nanak Jayanti
    assert not calendar.is_open(at(2026, 11, 24, 11, 0))
    assert not calendar.is_trading_day(date(2026, 11, 21))  # Saturday
    assert calendar.next_open(at(2026, 11, 20, 15, 30)) == at(2026, 11, 23, 9, 15)
    assert calendar.next_open(at(2026, 11, 23, 16, 0)) == at(2026, 11, 25, 9, 15)
    assert calendar.previous_trading_day(date(2026, 11, 25)) == date(2026, 11, 23)
    assert calendar.trading_days(date(2026, 11, 20), date(2026, 11, 25)) == [
        date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 25)]


def test_utc_input_is_converted(calendar: MarketCalendar) -> None:
    from datetime import UTC
    assert calendar.is_open(datetime(2026, 11, 19, 3, 45, tzinfo=UTC))  # 09:15 IST


def test_naive_input_rejected(calendar: MarketCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.is_open(datetime(2026, 11, 19, 10, 0))


def test_muhurat_special_session(calendar: MarketCalendar) -> None:
    d = date(2025, 10, 21)
    assert not calendar.has_regular_session(d)
    assert calendar.is_trading_day(d)
    minutes = calendar.session_minutes(d)
    assert len(minutes) == 60 and minutes[0] == at(2025, 10, 21, 13, 45)
    assert not calendar.is_open(at(2025, 10, 21, 10, 0))
    assert calendar.next_open(at(2025, 10, 21, 9, 0)) == at(2025, 10, 21, 13, 45)


def test_an_uncovered_year_is_provisional_and_says_how_to_fix_it(calendar: MarketCalendar) -> None:
    day = date(2027, 1, 4)
    assert calendar.is_trading_day(day) and calendar.is_provisional(day)
    note = calendar.provisional_note(day)
    assert note is not None and "holidays.json" in note and "2027" in note and "g6 calendar import FILE" in note


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match=r"holidays\.json: holiday file not found"):
        MarketCalendar.load_file(tmp_path / "holidays.json")


def test_year_counts(calendar: MarketCalendar) -> None:
    weekday_holidays = [
        d for d in (date(2026, 1, 1) + timedelta(days=i) for i in range(365))
        if d.weekday() < 5 and not calendar.has_regular_session(d)
    ]
    assert len(weekday_holidays) == 16
