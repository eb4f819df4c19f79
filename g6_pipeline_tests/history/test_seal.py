"""The seal recipe: one (day, index) quarantined, sealed, checked and recorded; a day the holiday file does not
list is labelled provisional in its checks and its record."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from g6_pipeline.history.backfill import generate_synthetic_day
from g6_pipeline.history.seal import seal_trading_day
from g6_pipeline_tests.history.history import setup_of, small_config

DAY = date(2026, 11, 20)  # a Friday


def test_a_sealed_day_carries_its_checks_and_record(tmp_path: Path) -> None:
    setup = setup_of(small_config(tmp_path, "NIFTY"))
    generate_synthetic_day(setup, DAY, ["NIFTY"])
    sealed = seal_trading_day(setup, DAY, "NIFTY")
    assert {name: r.passed for name, r in sealed.checks.items()} == {
        "completeness": True, "no_duplicates": True, "iv_coverage": True, "static_arbitrage": True}
    assert sealed.blocked_by == () and sealed.provisional is None
    assert sealed.minutes == {"live": 375, "repaired": 0, "missing": 0}
    record = json.loads(setup.location.read_bytes(setup.location.seal_record_file("NIFTY", DAY)))
    assert record["checks"]["completeness"] == {"passed": True, "blocking": True,
                                                "description": sealed.checks["completeness"].description}
    again = seal_trading_day(setup, DAY, "NIFTY")  # idempotent: the same record, byte for byte
    assert json.loads(setup.location.read_bytes(setup.location.seal_record_file("NIFTY", DAY))) == record
    assert again.options.slices_merged == 0


def test_a_day_the_holiday_file_does_not_list_is_sealed_as_provisional(tmp_path: Path) -> None:
    config = small_config(tmp_path, "NIFTY")
    holidays = json.loads((config / "holidays.json").read_text())
    holidays["years"] = {"2025": holidays["years"]["2025"]}  # 2026 is not listed: its weekdays are provisional
    (config / "holidays.json").write_text(json.dumps(holidays))
    setup = setup_of(config)
    generate_synthetic_day(setup, DAY, ["NIFTY"])
    sealed = seal_trading_day(setup, DAY, "NIFTY")
    assert sealed.provisional is not None and "2026-11-20 is provisional" in sealed.provisional
    assert "g6 calendar import" in sealed.checks["completeness"].description
    record = json.loads(setup.location.read_bytes(setup.location.seal_record_file("NIFTY", DAY)))
    assert record["provisional"] == sealed.provisional
