"""Bhavcopy days through the history layer: sealed by the recipe with one expected minute, never folded into the
weekday master as an intraday day, refused before their session ends, and sealed when an import stopped short."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.history.checks import master_check
from g6_pipeline.history.folding import fold_days
from g6_pipeline.history.imports import import_day, import_files, read_file
from g6_pipeline.history.quality import expected_minutes
from g6_pipeline.history.seal import seal_trading_day
from g6_pipeline.history.weekday_master import update_range
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.storage.daily_closes import DailyCloses
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.bhavcopy import csv_bytes, nse_name, priced_chain, rows_of, write_zip
from g6_pipeline_tests.fakes.kite_config import write_kite_config
from g6_pipeline_tests.history.history import setup_of, small_config

MONDAY, TUESDAY = date(2026, 1, 5), date(2026, 1, 6)
EXPIRIES = [date(2026, 1, 13), date(2026, 1, 20), date(2026, 1, 27), date(2026, 2, 24)]
STRIKES = [float(k) for k in range(25700, 26350, 50)]


def _file(folder: Path, day: date) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    contracts = priced_chain(day, 26010.0, EXPIRIES, STRIKES, 0.12, 0.065, 65)
    return write_zip(folder / nse_name(day), csv_bytes(rows_of(day, "NIFTY", 25990.0, contracts, 65)))


@pytest.fixture
def setup(tmp_path: Path) -> ProcessSetup:
    return setup_of(small_config(tmp_path, "NIFTY"))


def test_a_close_of_day_day_expects_its_one_minute_and_a_mixed_day_the_session() -> None:
    stamp = datetime(2026, 1, 5, 15, 29, tzinfo=IST)
    closing = pd.DataFrame({"timestamp": [stamp, stamp], "source": ["bhavcopy", "bhavcopy"]})
    assert expected_minutes(closing, 375) == 1
    mixed = pd.DataFrame({"timestamp": [stamp, stamp], "source": ["bhavcopy", "kite"]})
    assert expected_minutes(mixed, 375) == 375
    assert expected_minutes(closing.iloc[:0], 375) == 375


def test_an_imported_day_is_sealed_complete_and_left_out_of_the_weekday_master(
    setup: ProcessSetup, tmp_path: Path
) -> None:
    report = import_files(setup, [_file(tmp_path / "in", MONDAY)], ["NIFTY"])
    (outcome,) = report.outcomes
    assert outcome.outcome == "imported" and outcome.sealed is not None
    assert outcome.sealed.checks["completeness"].passed and outcome.sealed.blocked_by == ()
    assert outcome.sealed.options.minutes_expected == 1 and outcome.sealed.minutes["missing"] == 0
    folded = fold_days(setup, [(MONDAY, "NIFTY")])
    (master,) = folded.reports["NIFTY"]
    assert master.days_folded == () and master.sources == ("bhavcopy",)
    assert [(i.severity, i.message) for i in master.issues] == [
        ("info", "not folded: close-of-day history (an imported bhavcopy: one closing minute by design), not an "
                 "intraday day: the weekday master folds collected or simulated sessions")]
    assert master_check([master]).passed  # a designed exclusion, not a critical issue
    weekday_master = Path(setup.location.root.path) / "weekday_master"
    assert not list(weekday_master.glob("NIFTY/**/MONDAY.csv"))
    # asked directly, the fold refuses it too, and keeps no record of it
    (direct,) = update_range(setup.location, [MONDAY], "NIFTY", 0.2, setup.calendar)
    assert not direct.ok and "close-of-day history" in direct.issues[0].message
    assert not Path(setup.location.weekday_day_record("NIFTY", MONDAY).path).exists()


def test_a_day_whose_session_has_not_ended_is_refused(setup: ProcessSetup, tmp_path: Path) -> None:
    days, _ = read_file(setup, _file(tmp_path / "in", MONDAY), ["NIFTY"], None, None, all_strikes=False)
    during = datetime.combine(MONDAY, time(15, 0), IST)
    refused = import_day(setup, days[0], DailyCloses(setup.location), now=during)
    assert (refused.outcome, refused.message) == (
        "refused", "its session has not ended: a bhavcopy is the close of an ended session")
    assert not Path(setup.location.sealed_file("options", MONDAY, "NIFTY").path).exists()
    after = import_day(setup, days[0], DailyCloses(setup.location), now=datetime.combine(MONDAY, time(15, 30), IST))
    assert after.outcome == "imported"


def test_an_import_stopped_before_its_seal_is_sealed_by_the_next(setup: ProcessSetup, tmp_path: Path) -> None:
    path = _file(tmp_path / "in", MONDAY)
    import_files(setup, [path], ["NIFTY"])
    record = Path(setup.location.seal_record_file("NIFTY", MONDAY).path)
    record.unlink()
    (again,) = import_files(setup, [path], ["NIFTY"]).outcomes
    assert again.outcome == "already imported" and again.sealed is not None
    assert again.message == "holds this bhavcopy day; left alone; sealed now"
    assert json.loads(record.read_text())["sources"] == ["bhavcopy"]
    (third,) = import_files(setup, [path], ["NIFTY"]).outcomes
    assert third.sealed is None and third.message == "holds this bhavcopy day; left alone"


def test_the_seal_does_not_refill_a_close_of_day_day_from_kite(tmp_path: Path) -> None:
    synthetic = setup_of(small_config(tmp_path / "a", "NIFTY"))
    import_files(synthetic, [_file(tmp_path / "in", MONDAY)], ["NIFTY"])
    # the same data directory under the kite provider (its server is never asked: nothing listens there)
    kite = setup_of(write_kite_config(tmp_path / "a", "http://127.0.0.1:9"))
    kite = ProcessSetup(kite.loaded, kite.calendar, DataLocation(synthetic.location.root.path))
    sealed = seal_trading_day(kite, MONDAY, "NIFTY")
    assert sealed.repair["repair"] == "not run: a close-of-day day holds its closing minute only"
    assert sealed.checks["completeness"].passed and sealed.options.sources == ("bhavcopy",)
