"""The weekday master folds days of one source family only, and its quality report lists what it folded."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.history.weekday_master import family_of_provider, update_range
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline.storage.reader import read_weekday_master
from g6_pipeline_tests.fakes.chains import make_chain, minute

KITE_DAY, SYNTHETIC_DAY, MIXED_DAY = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)  # Mondays


def _store(location: DataLocation, day: date, *providers: str) -> None:
    chains = [make_chain("NIFTY", minute(day, m), spot=24_000.0, provider=p)
              for m, p in zip(("0915", "0916"), providers, strict=True)]
    ParquetSink(location).write_day(chains)


@pytest.fixture
def stored(location: DataLocation) -> DataLocation:
    _store(location, KITE_DAY, "kite", "kite")
    _store(location, SYNTHETIC_DAY, "synthetic", "synthetic")
    _store(location, MIXED_DAY, "kite", "synthetic")
    return location


def test_collected_master_never_folds_a_simulated_day(stored: DataLocation, calendar: MarketCalendar) -> None:
    reports = update_range(stored, [KITE_DAY, SYNTHETIC_DAY, MIXED_DAY], "NIFTY", 0.5, calendar, family="collected")
    master = read_weekday_master(stored, "NIFTY", "this_week", 0, "monday")
    assert set(master["counter"]) == {1}
    kite, synthetic, mixed = reports
    assert kite.days_folded == (KITE_DAY,) and kite.sources == ("kite",) and not kite.issues
    assert synthetic.sources == ("synthetic",)
    assert [i.message for i in synthetic.issues] == [
        "holds synthetic rows: not folded into the collected weekday master"
    ]
    assert mixed.sources == ("kite", "synthetic") and mixed.issues[0].severity == "warning"
    written = json.loads(Path(kite.quality_path).read_text())
    assert written["family"] == "collected"
    assert written["folded"] == [{"day": "2026-11-02", "sources": ["kite"]}]


def test_simulated_master_folds_only_simulated_days(stored: DataLocation, calendar: MarketCalendar) -> None:
    reports = update_range(stored, [KITE_DAY, SYNTHETIC_DAY, MIXED_DAY], "NIFTY", 0.5, calendar, family="simulated")
    assert {r.days_folded for r in reports} == {(SYNTHETIC_DAY,)}
    assert reports[1].sources_folded == (("synthetic",),)
    record = json.loads(Path(stored.weekday_day_record("NIFTY", MIXED_DAY).path).read_text())
    assert record["g6_sources"] == ["kite", "synthetic"]


@pytest.mark.parametrize(
    ("setting", "provider", "family"),
    [("provider", "kite", "collected"), ("provider", "synthetic", "simulated"), ("provider", "mock", "simulated"),
     ("simulated", "kite", "simulated"), ("collected", "synthetic", "collected")],
)
def test_the_family_defaults_to_the_configured_provider(setting: str, provider: str, family: str) -> None:
    assert family_of_provider(setting, provider) == family
