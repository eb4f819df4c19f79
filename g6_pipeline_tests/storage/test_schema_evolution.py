"""Files written before the exchange-clock columns existed still read: their rows carry nulls in the added
columns (`schema.ADDED_COLUMNS`), beside newer files, through every reader and through the seal."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from g6_pipeline.core.schema import ADDED_COLUMNS, OPTION_SCHEMA, OVERVIEW_SCHEMA
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, ParquetSink, table_bytes
from g6_pipeline.storage.reader import read_chain, read_day_table, read_overview, read_range
from g6_pipeline.storage.seal import seal_day, seal_overview
from g6_pipeline_tests.fakes.chains import make_day, minute

DAY, OLD_DAY = date(2026, 11, 23), date(2026, 11, 20)


def _as_before(location: DataLocation, table_name: str, day: date, index: str, hhmm: str) -> None:
    """Rewrite one minute slice as a writer before the added columns wrote it."""
    path = location.minute_slice(table_name, day, index, pd.Timestamp(minute(day, hhmm)))
    table = pq.read_table(path.path)
    old = table.drop_columns(list(ADDED_COLUMNS[table_name]))
    path.write_bytes(table_bytes(old))


@pytest.fixture
def location(tmp_path) -> DataLocation:  # type: ignore[no-untyped-def]
    location = DataLocation(tmp_path / "data")
    sink = ParquetSink(location)
    for day, minutes in ((OLD_DAY, ("0915", "0916")), (DAY, ("0915", "0916"))):
        for chain in make_day("NIFTY", day, minutes):
            assert sink.write([chain]).error is None
    for table_name in (OPTIONS, OVERVIEW):
        for day, hhmm in ((OLD_DAY, "0915"), (OLD_DAY, "0916"), (DAY, "0915")):
            _as_before(location, table_name, day, "NIFTY", hhmm)
    return location


def test_old_and_new_slices_of_one_day_read_together(location: DataLocation) -> None:
    chain = read_chain(location, DAY, "NIFTY")
    assert list(chain.columns) == list(OPTION_SCHEMA.names)
    old, new = (chain.loc[chain["timestamp"] == pd.Timestamp(minute(DAY, m))] for m in ("0915", "0916"))
    assert old["exchange_timestamp"].isna().all() and old["stale"].isna().all() and old["last_trade_time"].isna().all()
    assert (new["exchange_timestamp"] == pd.Timestamp(minute(DAY, "0916"))).all() and not new["stale"].any()
    overview = read_overview(location, DAY, "NIFTY")
    assert list(overview.columns) == list(OVERVIEW_SCHEMA.names)
    assert overview["quote_age_seconds"].isna().tolist() == [True, False]
    asked = read_chain(location, OLD_DAY, "NIFTY", columns=["strike", "stale", "exchange_timestamp"])
    assert list(asked.columns) == ["strike", "stale", "exchange_timestamp"] and asked["stale"].isna().all()


def test_the_seal_and_ranges_keep_the_old_rows_with_nulls(location: DataLocation) -> None:
    for day in (OLD_DAY, DAY):
        seal_day(location, day, "NIFTY", 375)
        seal_overview(location, day, "NIFTY", 375)
    sealed = read_day_table(location, OPTIONS, DAY, "NIFTY")
    assert sealed.schema.equals(OPTION_SCHEMA) and sealed.column("stale").null_count == sealed.num_rows // 2
    only_old = pq.read_table(location.sealed_file(OPTIONS, OLD_DAY, "NIFTY").path)
    assert only_old.column("stale").null_count == only_old.num_rows  # sealed in the current schema, nulls kept
    both = read_range(location, OVERVIEW, OLD_DAY, DAY, columns=["timestamp", "stale", "legs_stale"])
    assert both.column("stale").to_pylist() == [None, None, None, False]
    assert both.schema.field("legs_stale").type == pa.int32()
