"""`g6_calendar_days_left`: recorded with the cycle, from the day the holiday file ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from g6_pipeline.core.clock import IST
from g6_pipeline.metrics import record_cycle
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.metrics.chains import make_report


def _cycle_group(end: date | None, minute: datetime):  # type: ignore[no-untyped-def]
    report = replace(make_report(minute=minute), calendar_covered_until=end)
    return next(g for g in record_cycle(report, Settings()) if dict(g.labels) == {"index": "all"}).values


def test_days_left_is_recorded_in_the_cycle_group() -> None:
    values = _cycle_group(date(2026, 12, 31), datetime(2026, 12, 1, 10, 0, tzinfo=IST))
    assert values.get("g6_calendar_days_left") == 30


def test_unknown_coverage_records_nothing() -> None:
    values = _cycle_group(None, datetime(2026, 12, 1, 10, 0, tzinfo=IST))
    assert values.get("g6_calendar_days_left") is None
