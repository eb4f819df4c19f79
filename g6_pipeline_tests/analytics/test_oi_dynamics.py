"""Intraday OI change by strike since the open and over 1, 5, 15 and 30 minutes, worked out by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.analytics.oi_dynamics import oi_change_by_strike, oi_changes, parse_interval
from g6_pipeline.core.clock import IST
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline.storage.reader import read_chain
from g6_pipeline_tests.fakes.chains import make_chain

DAY = date(2026, 1, 5)
EXPIRY = date(2026, 1, 6)
OPEN = datetime(2026, 1, 5, 9, 15, tzinfo=IST)


def at(m: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 15, tzinfo=IST) + timedelta(minutes=m)


def rows(minutes: int = 40) -> pd.DataFrame:
    """CE 100: OI 1000 + 10·m at minute m; PE 100: 5000 − 7·m but minute 5 not stored;
    CE 200: first stored at minute 20, OI 300 + m."""
    out = []
    for m in range(minutes):
        out.append(("this_week", EXPIRY, 100.0, "CE", at(m), 1000.0 + 10 * m))
        if m != 5:
            out.append(("this_week", EXPIRY, 100.0, "PE", at(m), 5000.0 - 7 * m))
        if m >= 20:
            out.append(("this_week", EXPIRY, 200.0, "CE", at(m), 300.0 + m))
    return pd.DataFrame(out, columns=["expiry_tag", "expiry", "strike", "side", "timestamp", "oi"])


def value(changes: pd.DataFrame, strike: float, side: str, m: int, column: str) -> float:
    hit = changes.loc[(changes["strike"] == strike) & (changes["side"] == side) & (changes["timestamp"] == at(m))]
    assert len(hit) == 1
    return float(hit[column].iloc[0])


def test_changes_over_each_interval_by_hand() -> None:
    changes = oi_changes(rows())
    # CE 100 gains 10 a minute
    assert value(changes, 100.0, "CE", 35, "oi_change_1m") == 10.0
    assert value(changes, 100.0, "CE", 35, "oi_change_5m") == 50.0
    assert value(changes, 100.0, "CE", 35, "oi_change_15m") == 150.0
    assert value(changes, 100.0, "CE", 35, "oi_change_30m") == 300.0
    assert value(changes, 100.0, "CE", 35, "oi_change_open") == 350.0
    # before the look-back reaches back into the day there is nothing to compare with
    assert math.isnan(value(changes, 100.0, "CE", 29, "oi_change_30m"))
    assert value(changes, 100.0, "CE", 0, "oi_change_open") == 0.0


def test_a_minute_not_stored_gives_nan_not_a_neighbour() -> None:
    changes = oi_changes(rows())
    assert math.isnan(value(changes, 100.0, "PE", 6, "oi_change_1m"))  # minute 5 is missing
    assert math.isnan(value(changes, 100.0, "PE", 10, "oi_change_5m"))
    assert value(changes, 100.0, "PE", 11, "oi_change_5m") == -35.0
    # a strike that entered later has no OI at the open: its change since the open is unknown
    assert math.isnan(value(changes, 200.0, "CE", 30, "oi_change_open"))
    assert value(changes, 200.0, "CE", 30, "oi_change_5m") == 5.0


def test_the_open_is_each_days_first_minute() -> None:
    second = date(2026, 1, 6)
    both = pd.concat([rows(10), rows(10).assign(timestamp=lambda f: f["timestamp"] + timedelta(days=1),
                                                oi=lambda f: f["oi"] + 1.0)], ignore_index=True)
    changes = oi_changes(both)
    hit = changes.loc[(changes["strike"] == 100.0) & (changes["side"] == "CE") & (changes["timestamp"] == at(4, second))]
    assert list(hit["oi_change_open"]) == [40.0]
    assert list(changes.index) == list(range(len(both)))  # the rows' own order


def test_the_ladder_at_a_minute() -> None:
    changes = oi_changes(rows())
    ladder = oi_change_by_strike(changes, pd.Timestamp(at(25)), 15)
    assert list(ladder["strike"]) == [100.0, 200.0]
    assert list(ladder["ce_oi"]) == [1250.0, 325.0]
    assert ladder["ce_change"].iloc[0] == 150.0 and math.isnan(ladder["ce_change"].iloc[1])  # 200 CE began at 20
    assert ladder["pe_change"].iloc[0] == -105.0 and math.isnan(ladder["pe_oi"].iloc[1])
    last = oi_change_by_strike(changes)  # the last minute, since the open
    assert list(last["ce_change"])[:1] == [390.0]
    with pytest.raises(ValueError, match="no OI change over 45"):
        oi_change_by_strike(changes, interval=45)
    two_tags = pd.concat([changes, changes.assign(expiry_tag="next_week")], ignore_index=True)
    with pytest.raises(ValueError, match="pass the expiry_tag"):
        oi_change_by_strike(two_tags)
    assert oi_change_by_strike(two_tags, expiry_tag="next_week")["ce_oi"].tolist() == last["ce_oi"].tolist()


def test_a_contract_twice_in_a_minute_is_refused() -> None:
    doubled = pd.concat([rows(2), rows(2).iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="appears twice"):
        oi_changes(doubled)


def test_intervals_are_read_as_traders_write_them() -> None:
    assert [parse_interval(t) for t in ("15m", "1min", "30", " 5 minutes ", "OPEN")] == [15, 1, 30, 5, "open"]
    with pytest.raises(ValueError, match="not an OI-change interval: '15h'"):
        parse_interval("15h")


def test_computed_on_read_from_stored_minutes(tmp_path: Path) -> None:
    location = DataLocation(tmp_path)
    sink = ParquetSink(location)
    for m in range(16):
        chain = make_chain("NIFTY", at(m), tags=("this_week",), half_width=1)
        chain.options["oi"] = np.where(chain.options["side"] == "CE", 1000.0 + 10 * m, 2000.0 - m)
        sink.write_minute(chain)
    stored = read_chain(location, DAY, "NIFTY")
    changes = oi_changes(stored)
    atm = changes.loc[(changes["timestamp"] == at(15)) & (changes["strike"] == 24_000.0)]
    assert list(atm["oi_change_15m"]) == [150.0, -15.0]  # CE then PE
    assert list(atm["oi_change_1m"]) == [10.0, -1.0]
