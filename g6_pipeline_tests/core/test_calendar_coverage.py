"""The holiday file: packaged default, override by the config folder, and how far it reaches."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import CalendarError, MarketCalendar, packaged_holidays

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
        assert "add 2027's holidays" in coverage.message


def test_coverage_fails_when_the_current_year_is_missing() -> None:
    coverage = MarketCalendar.load_file(REPO_HOLIDAYS).coverage(date(2027, 1, 1))
    assert coverage.level == "fail" and coverage.days_left is None
    assert "holidays.json: year 2027 is not covered" in coverage.message


def test_an_uncovered_year_is_an_error_naming_file_and_year() -> None:
    with pytest.raises(CalendarError, match=r"holidays\.json: year 2027 is not covered"):
        MarketCalendar.load_file(REPO_HOLIDAYS).next_trading_day(date(2026, 12, 31))


def test_an_unreadable_file_is_a_calendar_error(tmp_path: Path) -> None:
    (tmp_path / "holidays.json").mkdir()
    with pytest.raises(CalendarError, match=r"holidays\.json: cannot read"):
        MarketCalendar.load(tmp_path)
