"""Multi-day reads: `load_chain_range` and `load_overview_range` give what a loop of one-day reads gives."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from g6_pipeline.data import load_chain, load_chain_range, load_overview, load_overview_range
from g6_pipeline.storage.location import DataLocation
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
