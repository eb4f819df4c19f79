"""Multi-day reads: `load_chain_range` and `load_overview_range` give what a loop of one-day reads gives."""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from g6_pipeline.data import load_chain, load_chain_range, load_overview, load_overview_range
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.reader import RowFilter, read_range
from g6_pipeline_tests.storage.lake import INDICES, MIXED_DAY, SEALED_DAY, write_mixed_lake

DAYS = (SEALED_DAY, MIXED_DAY)


@pytest.fixture
def lake(location: DataLocation) -> str:
    write_mixed_lake(location)
    return location.root.path


def test_a_range_is_the_days_one_after_the_other(lake: str) -> None:
    got = load_chain_range(SEALED_DAY, MIXED_DAY, data_dir=lake)
    want = pd.concat([load_chain(d, i, data_dir=lake) for d in DAYS for i in INDICES], ignore_index=True)
    pd.testing.assert_frame_equal(got, want)
    assert str(got["timestamp"].dtype) == "datetime64[s, Asia/Kolkata]"
    overview = load_overview_range("2026-11-01", "2026-11-30", data_dir=lake)
    want = pd.concat([load_overview(d, i, data_dir=lake) for d in DAYS for i in INDICES], ignore_index=True)
    pd.testing.assert_frame_equal(overview, want)


def test_indices_tags_and_columns_narrow_the_read(lake: str) -> None:
    columns = ["timestamp", "strike", "side", "iv", "last_price"]
    got = load_chain_range(SEALED_DAY, MIXED_DAY, indices=["SENSEX"], expiry_tags=["this_month"], columns=columns,
                           data_dir=lake)  # fmt: skip
    want = pd.concat(
        [load_chain(d, "SENSEX", expiry_tag="this_month", columns=columns, data_dir=lake) for d in DAYS],
        ignore_index=True,
    )
    assert list(got.columns) == columns and len(got) > 0
    pd.testing.assert_frame_equal(got, want)
    one_day = load_chain_range(MIXED_DAY, MIXED_DAY, indices="NIFTY", expiry_tags=["this_week", "this_month"],
                               columns=["expiry_tag"], data_dir=lake)  # fmt: skip
    assert len(one_day) == len(load_chain(MIXED_DAY, "NIFTY", data_dir=lake))
    overview = load_overview_range(MIXED_DAY, MIXED_DAY, indices=["NIFTY"], columns=["timestamp", "pcr_this_week"],
                                   data_dir=lake)  # fmt: skip
    assert list(overview.columns) == ["timestamp", "pcr_this_week"] and len(overview) == 3


def test_a_range_with_no_stored_day_is_empty_with_the_asked_columns(lake: str) -> None:
    empty = load_chain_range(date(2026, 12, 1), date(2026, 12, 31), columns=["timestamp", "iv"], data_dir=lake)
    assert list(empty.columns) == ["timestamp", "iv"] and empty.empty
    assert str(empty["timestamp"].dtype) == "datetime64[s, Asia/Kolkata]"


def _kept(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    return frame[mask.to_numpy()].reset_index(drop=True)


def test_each_filter_keeps_the_rows_it_names_on_sealed_and_unsealed_days(lake: str) -> None:
    everything = load_chain_range(SEALED_DAY, MIXED_DAY, data_dir=lake)
    expiry = sorted(everything["expiry"].unique())[-1]
    strikes = sorted(everything.loc[everything["index"] == "NIFTY", "strike"].unique())
    low, high = strikes[1], strikes[3]
    clock = everything["timestamp"].dt.strftime("%H:%M")
    cases = [
        ({"expiries": [expiry]}, everything["expiry"] == expiry),
        ({"expiries": expiry.isoformat()}, everything["expiry"] == expiry),
        ({"strikes": (low, high)}, everything["strike"].between(low, high)),
        ({"strikes": (None, low)}, everything["strike"] <= low),
        ({"times": ("09:16", None)}, clock >= "09:16"),
        ({"times": (time(9, 15), time(9, 16))}, clock <= "09:16"),
        ({"timestamps": ("2026-11-20 09:16", "2026-11-23 09:15")},  # text is market time
         (everything["timestamp"] >= pd.Timestamp("2026-11-20 03:46", tz="UTC"))
         & (everything["timestamp"] <= pd.Timestamp("2026-11-23 03:45", tz="UTC"))),
    ]  # fmt: skip
    for filters, mask in cases:
        got = load_chain_range(SEALED_DAY, MIXED_DAY, data_dir=lake, **filters)
        assert 0 < len(got) < len(everything), filters
        pd.testing.assert_frame_equal(got, _kept(everything, mask), obj=str(filters))
    both = load_chain_range(SEALED_DAY, MIXED_DAY, ["SENSEX"], ["this_month"], ["strike", "iv"], lake,
                            strikes=(low, high), times=("09:17", "09:17"))  # fmt: skip
    mask = (everything["index"] == "SENSEX") & (everything["expiry_tag"] == "this_month")
    mask &= everything["strike"].between(low, high) & (clock == "09:17")
    pd.testing.assert_frame_equal(both, _kept(everything, mask)[["strike", "iv"]])
    overview = load_overview_range(SEALED_DAY, MIXED_DAY, data_dir=lake)
    late = load_overview_range(SEALED_DAY, MIXED_DAY, columns=["vix"], data_dir=lake, times=("09:16", None))
    want = overview[overview["timestamp"].dt.strftime("%H:%M") >= "09:16"][["vix"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(late, want)


def test_a_day_sealed_in_the_earlier_format_reads_and_filters_alike(lake: str) -> None:
    location = DataLocation(lake)
    path = location.sealed_file("options", SEALED_DAY, "NIFTY")
    before = load_chain_range(SEALED_DAY, SEALED_DAY, ["NIFTY"], data_dir=lake, strikes=(None, 24_000.0))
    table = pq.read_table(path.path).sort_by([("timestamp", "ascending"), ("expiry", "ascending"),
                                              ("strike", "ascending"), ("side", "ascending")])  # fmt: skip
    pq.write_table(table, path.path, compression="zstd")  # one row group by minute, every column a dictionary
    after = load_chain_range(SEALED_DAY, SEALED_DAY, ["NIFTY"], data_dir=lake, strikes=(None, 24_000.0))
    assert len(after) == len(before) > 0
    key = ["timestamp", "expiry_tag", "strike", "side"]
    pd.testing.assert_frame_equal(after.sort_values(key, ignore_index=True), before.sort_values(key, ignore_index=True))


def test_filters_that_cannot_be_met_are_named(lake: str) -> None:
    with pytest.raises(ValueError, match=r"strikes: the first bound 24100\.0 is after the second 24000\.0"):
        load_chain_range(SEALED_DAY, MIXED_DAY, data_dir=lake, strikes=(24_100, 24_000))
    with pytest.raises(ValueError, match="not a time of day: '9h15'"):
        load_chain_range(SEALED_DAY, MIXED_DAY, data_dir=lake, times=("9h15", None))
    with pytest.raises(ValueError, match="two bounds"):
        load_chain_range(SEALED_DAY, MIXED_DAY, data_dir=lake, strikes=24_000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the overview table has no column 'strike'"):
        read_range(DataLocation(lake), "overview", SEALED_DAY, MIXED_DAY, rows=RowFilter(strikes=(1.0, 2.0)))
    with pytest.raises(ValueError, match="timezone-aware"):
        RowFilter(timestamps=(datetime(2026, 11, 20, 9, 15), None))
