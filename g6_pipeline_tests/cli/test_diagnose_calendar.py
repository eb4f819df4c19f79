"""`g6 diagnose` reports the holiday file's coverage: a warning within 30 days, and on a provisional day."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from g6_pipeline.cli.diagnose_checks import diagnose
from g6_pipeline.cli.diagnose_cmd import render
from g6_pipeline.core.clock import IST
from g6_pipeline_tests.cli.diagnose_setup import context


def _calendar(tmp_path: Path, now: datetime, **environ: str):  # type: ignore[no-untyped-def]
    results = {r.name: r for r in diagnose(context(tmp_path, now=now, environ=environ))}
    return results, results["calendar"]


def test_ending_within_30_days_warns_without_failing(tmp_path: Path) -> None:
    results, calendar = _calendar(tmp_path, datetime(2026, 12, 1, 11, 0, tzinfo=IST))
    assert calendar.status == "warn" and "holidays.json" in calendar.detail and "30 days left" in calendar.detail
    assert "1 warning(s): calendar" in render(list(results.values()))


def test_a_provisional_day_warns_with_the_fix_without_failing(tmp_path: Path) -> None:
    results, calendar = _calendar(tmp_path, datetime(2027, 1, 5, 11, 0, tzinfo=IST))
    assert calendar.status == "warn" and "2027-01-05 is provisional" in calendar.detail
    assert "g6 calendar import FILE" in calendar.detail
    assert "calendar" not in [r.name for r in results.values() if r.status == "fail"]


def test_plenty_of_coverage_is_ok(tmp_path: Path) -> None:
    _, calendar = _calendar(tmp_path, datetime(2026, 11, 25, 11, 0, tzinfo=IST))
    assert calendar.status == "ok"


def test_unknown_g6_variables_are_a_config_warning(tmp_path: Path) -> None:
    results, _ = _calendar(tmp_path, datetime(2026, 11, 25, 11, 0, tzinfo=IST), G6_CSV_RETENTION_DAYS="7")
    assert results["config"].status == "warn"
    assert "G6_CSV_RETENTION_DAYS" in results["config"].detail and "storage.raw_retention_days" in results["config"].detail
