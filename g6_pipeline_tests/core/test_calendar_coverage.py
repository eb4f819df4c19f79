"""The holiday file: packaged default, override by the config folder, how far it reaches, and what a year it
does not cover becomes (provisional sessions, not an error)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import IST, CalendarError, MarketCalendar, packaged_holidays

REPO_HOLIDAYS = Path(__file__).resolve().parents[2] / "config" / "holidays.json"


def _file(folder: Path, years: dict[str, list[dict[str, str]]]) -> Path:
    path = folder / "holidays.json"
    path.write_text(json.dumps({"years": years}))
    return folder


def test_a_folder_without_holidays_uses_the_packaged_file(tmp_path: Path) -> None:
    calendar = MarketCalendar.load(tmp_path)
    assert Path(calendar.source) == packaged_holidays()
    assert calendar.is_trading_day(date(2026, 11, 19))
    assert not calendar.is_trading_day(date(2026, 1, 26))  # Republic Day


def test_no_folder_at_all_uses_the_packaged_file() -> None:
    assert Path(MarketCalendar.load(None).source) == packaged_holidays()


def test_a_config_folder_file_overrides_the_packaged_one(tmp_path: Path) -> None:
    calendar = MarketCalendar.load(_file(tmp_path, {"2031": []}))
    assert calendar.source == str(tmp_path / "holidays.json")
    assert calendar.years == frozenset({2031})


def test_the_packaged_file_is_the_repository_file() -> None:
    assert json.loads(packaged_holidays().read_text()) == json.loads(REPO_HOLIDAYS.read_text())


@pytest.mark.parametrize(
    ("today", "level", "days_left"),
    [
        (date(2026, 12, 1), "warn", 30),  # 30 days before the end: warns
        (date(2026, 12, 31), "warn", 0),
        (date(2026, 11, 30), "ok", 31),
        (date(2025, 6, 1), "ok", 578),
    ],
)
def test_coverage_warns_within_30_days(today: date, level: str, days_left: int) -> None:
    coverage = MarketCalendar.load_file(REPO_HOLIDAYS).coverage(today)
    assert (coverage.level, coverage.days_left, coverage.covered_until) == (level, days_left, date(2026, 12, 31))
    if level == "warn":
        assert "holidays.json" in coverage.message and "2026-12-31" in coverage.message
        assert "import 2027's holiday list" in coverage.message and "`g6 calendar import FILE`" in coverage.message


def test_coverage_warns_on_a_provisional_day_and_names_the_fix() -> None:
    coverage = MarketCalendar.load_file(REPO_HOLIDAYS).coverage(date(2027, 1, 1))
    assert coverage.level == "warn" and coverage.days_left is None and coverage.covered_until == date(2026, 12, 31)
    assert "2027-01-01 is provisional" in coverage.message and "holidays.json lists no holidays for 2027" in coverage.message
    assert "`g6 calendar import FILE`" in coverage.message


def test_the_calendar_rolls_into_an_uncovered_year_with_provisional_weekdays() -> None:
    calendar = MarketCalendar.load_file(REPO_HOLIDAYS)
    first = calendar.next_trading_day(date(2026, 12, 31))  # was an error: collection stopped on 1 January
    assert first == date(2027, 1, 1) and calendar.is_provisional(first)
    session = calendar.session(first)
    assert session is not None and session.provisional and (session.open, session.close) == (time(9, 15), time(15, 30))
    assert calendar.is_trading_day(date(2027, 1, 26))  # Republic Day: unknown until imported, the exchange decides
    assert not calendar.is_trading_day(date(2027, 1, 2))  # a Saturday is never a session
    assert calendar.previous_trading_day(date(2027, 1, 1)) == date(2026, 12, 31)
    assert not calendar.is_provisional(date(2026, 12, 31)) and calendar.provisional_note(date(2026, 12, 31)) is None
    covered = calendar.session(date(2026, 12, 31))
    assert covered is not None and not covered.provisional
    assert calendar.is_open(datetime(2027, 1, 4, 10, 0, tzinfo=IST))


def test_an_unreadable_file_is_a_calendar_error(tmp_path: Path) -> None:
    (tmp_path / "holidays.json").mkdir()
    with pytest.raises(CalendarError, match=r"holidays\.json: cannot read"):
        MarketCalendar.load(tmp_path)


def _raw(folder: Path, document: object) -> Path:
    (folder / "holidays.json").write_text(json.dumps(document))
    return folder


@pytest.mark.parametrize(
    ("document", "words"),
    [
        # a year given as a string: was AttributeError ('str' object has no attribute 'get'), no file named
        ({"years": {"2027": "Republic Day"}}, "years.2027: expected a list of holidays like"),
        ({"years": {"2027": ["2027-01-26"]}}, "years.2027[0]: expected holidays like"),
        ({"years": {"2027": [{"date": 20270126}]}}, "years.2027[0].date: invalid date 20270126"),
        ({"years": {}, "session": "09:15-15:30"}, "session: expected an object with 'open' and 'close', got the string"),
        ({"years": {}, "special_sessions": {"date": "2027-10-29"}}, "special_sessions: expected a list of sessions"),
        ({"years": {}, "special_sessions": ["2027-10-29"]}, "special_sessions[0]: expected sessions like"),
    ],
)
def test_a_malformed_holiday_file_names_file_key_and_value(tmp_path: Path, document: object, words: str) -> None:
    with pytest.raises(CalendarError) as caught:
        MarketCalendar.load(_raw(tmp_path, document))
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "holidays.json")) and words in message, message
