"""The days-to-expiry master: days alike in sessions to expiry are compared, whatever their weekday; the bands are
worked out by hand (linear interpolation between order statistics, NaN left out)."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import OVERVIEW_SCHEMA
from g6_pipeline.data import load_dte_master
from g6_pipeline.history.dte_master import fold_dte_days
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OVERVIEW, commit_day, overview_table

# (day, this week's expiry): each 1 session before its expiry on the shipped calendar
ONE_SESSION_LEFT = [
    (date(2025, 9, 8), date(2025, 9, 9)),  # a Monday after the move to Tuesday expiries
    (date(2026, 11, 20), date(2026, 11, 23)),  # a Friday: Tuesday 24 Nov 2026 is a holiday, the expiry moved
    (date(2026, 11, 16), date(2026, 11, 17)),  # a Monday of a normal week
]
THREE_SESSIONS_LEFT = (date(2025, 8, 18), date(2025, 8, 21))  # a Monday while NIFTY expired on Thursdays
STRADDLE_0930 = [100.0, 110.0, 130.0]
STRADDLE_0931 = [200.0, float("nan"), 220.0]
CE_OI, PE_OI = [1000.0, 2000.0, 3000.0], [500.0, 500.0, 1500.0]


@pytest.fixture(scope="module")
def calendar() -> MarketCalendar:
    return MarketCalendar.load()


def _overview(day: date, expiry: date, straddles: list[float], ce_oi: float, pe_oi: float,
              stale_last: bool = False) -> pd.DataFrame:
    rows = []
    for k, straddle in enumerate(straddles):
        row: dict[str, object] = {name: None for name in OVERVIEW_SCHEMA.names}
        row.update(timestamp=pd.Timestamp(datetime.combine(day, time(9, 15 + k), tzinfo=IST)), index="NIFTY",
                   expiry_this_week=expiry, straddle_this_week=straddle, atm_iv_this_week=0.1 + k / 100,
                   pcr_this_week=0.9, ce_oi_this_week=ce_oi, pe_oi_this_week=pe_oi, source="kite",
                   stale=stale_last and k == len(straddles) - 1)
        rows.append(row)
    return pd.DataFrame(rows)


def _store(location: DataLocation, frame: pd.DataFrame) -> None:
    day = frame["timestamp"].iloc[0].date()
    commit_day(location, OVERVIEW, day, "NIFTY", overview_table(frame))


@pytest.fixture
def location(tmp_path: Path) -> DataLocation:
    location = DataLocation(str(tmp_path / "data"))
    for k, (day, expiry) in enumerate(ONE_SESSION_LEFT):
        straddles = [STRADDLE_0930[k], STRADDLE_0931[k], 999.0]  # 09:17 is stale on every day: never folded
        _store(location, _overview(day, expiry, straddles, CE_OI[k], PE_OI[k], stale_last=True))
    day, expiry = THREE_SESSIONS_LEFT
    _store(location, _overview(day, expiry, [5000.0], 1.0, 1.0))
    return location


def test_bands_of_days_one_session_before_expiry_by_hand(location: DataLocation, calendar: MarketCalendar) -> None:
    days = [d for d, _ in ONE_SESSION_LEFT] + [THREE_SESSIONS_LEFT[0]]
    folds = fold_dte_days(location, days, "NIFTY", calendar)
    assert [f.skipped for f in folds] == [None] * 4
    master = load_dte_master("NIFTY", "this_week", 1, data_dir=str(location.root)).set_index("minute_of_session")
    assert list(master.index) == [0, 1]  # 09:15 and 09:16; the stale 09:17 is left out
    first = master.loc[0]
    assert first["days"] == 3
    assert first["straddle_mean"] == pytest.approx(340 / 3)
    assert first["straddle_p50"] == pytest.approx(110.0)
    assert first["straddle_p10"] == pytest.approx(100 + 0.2 * 10)  # rank 0.2 between 100 and 110
    assert first["straddle_p90"] == pytest.approx(110 + 0.8 * 20)  # rank 1.8 between 110 and 130
    assert first["oi_mean"] == pytest.approx((1500 + 2500 + 4500) / 3)  # calls + puts
    assert first["oi_p10"] == pytest.approx(1500 + 0.2 * 1000)
    second = master.loc[1]
    assert second["straddle_mean"] == pytest.approx(210.0)  # the day with no straddle is left out
    assert second["straddle_p90"] == pytest.approx(200 + 0.9 * 20)
    assert second["atm_iv_mean"] == pytest.approx(0.11)
    # the Monday of the Thursday-expiry year is 3 sessions from its expiry: its own key, not mixed in
    three = load_dte_master("NIFTY", "this_week", 3, data_dir=str(location.root))
    assert three["days"].tolist() == [1] and three["straddle_mean"].tolist() == [5000.0]
    assert load_dte_master("NIFTY", "this_week", 2, data_dir=str(location.root)).empty


def test_folds_are_idempotent_and_order_independent(tmp_path: Path, location: DataLocation,
                                                    calendar: MarketCalendar) -> None:
    days = [d for d, _ in ONE_SESSION_LEFT]
    fold_dte_days(location, days, "NIFTY", calendar)
    path = location.dte_sample_file("NIFTY", "this_week", 1)
    once = location.read_bytes(path)
    fold_dte_days(location, days[:1], "NIFTY", calendar)  # a day folded again
    assert location.read_bytes(path) == once
    other = DataLocation(str(tmp_path / "other"))
    for k, (day, expiry) in enumerate(ONE_SESSION_LEFT):
        straddles = [STRADDLE_0930[k], STRADDLE_0931[k], 999.0]
        _store(other, _overview(day, expiry, straddles, CE_OI[k], PE_OI[k], stale_last=True))
    for day in reversed(days):
        fold_dte_days(other, [day], "NIFTY", calendar)
    assert other.read_bytes(other.dte_sample_file("NIFTY", "this_week", 1)) == once


def test_an_unsealed_or_foreign_family_day_is_skipped_saying_why(location: DataLocation,
                                                                 calendar: MarketCalendar) -> None:
    folds = fold_dte_days(location, [date(2026, 11, 18)], "NIFTY", calendar)
    assert folds[0].skipped == "not sealed" and folds[0].files == 0
    folds = fold_dte_days(location, [ONE_SESSION_LEFT[0][0]], "NIFTY", calendar, family="simulated")
    assert folds[0].skipped is not None and "kite" in folds[0].skipped
    assert not location.exists(location.dte_sample_file("NIFTY", "this_week", 1))
