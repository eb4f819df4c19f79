"""A minute slice of a foreign schema is quarantined by the seal like an unreadable one and named in its report;
a slice an older G6 wrote, lacking only the columns added since, is sealed with those columns null."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from g6_pipeline.core.schema import ADDED_COLUMNS
from g6_pipeline.history.seal import seal_trading_day
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, ParquetSink, table_bytes
from g6_pipeline.storage.quarantine import quarantined_files
from g6_pipeline.storage.reader import read_chain, read_overview
from g6_pipeline_tests.fakes.chains import make_day, minute
from g6_pipeline_tests.history.history import setup_of, small_config

DAY = date(2026, 11, 20)  # a Friday
MINUTES = ("0915", "0916", "0917")


def three_minutes(tmp_path: Path) -> ProcessSetup:
    setup = setup_of(small_config(tmp_path, "NIFTY"))
    assert ParquetSink(setup.location).write(make_day("NIFTY", DAY, MINUTES)).error is None
    return setup


def slice_path(setup: ProcessSetup, table: str, hhmm: str) -> Path:
    return Path(setup.location.minute_slice(table, DAY, "NIFTY", pd.Timestamp(minute(DAY, hhmm))).path)


def stamps(frame: pd.DataFrame) -> set[pd.Timestamp]:
    return set(pd.to_datetime(frame["timestamp"]).unique())


def test_a_foreign_schema_slice_is_quarantined_and_named_and_the_rest_sealed(tmp_path: Path) -> None:
    setup = three_minutes(tmp_path)
    foreign = slice_path(setup, OPTIONS, "0916")
    pq.write_table(pa.table({"symbol": ["NIFTY"], "price": [1.5], "strike": ["24000"]}), foreign)  # valid Parquet
    sealed = seal_trading_day(setup, DAY, "NIFTY")
    (named,) = sealed.quarantined
    assert named.startswith(f"{foreign}: foreign schema, not the options schema: lacks timestamp")
    assert "strike is string, not double" in named
    assert any(str(foreign) in warning for warning in sealed.warnings)
    kept = {pd.Timestamp(minute(DAY, m)) for m in ("0915", "0917")}
    options, overview = read_chain(setup.location, DAY, "NIFTY"), read_overview(setup.location, DAY, "NIFTY")
    assert stamps(options) == kept and stamps(overview) == kept  # no half minute: its overview went too
    assert options["strike"].notna().all()
    assert sorted(Path(p).name for p in quarantined_files(setup.location, DAY, "NIFTY")) == ["0916.parquet"] * 2


def test_a_slice_lacking_only_the_added_columns_is_sealed_not_quarantined(tmp_path: Path) -> None:
    setup = three_minutes(tmp_path)
    for table in (OPTIONS, OVERVIEW):
        path = slice_path(setup, table, "0916")
        path.write_bytes(table_bytes(pq.read_table(path).drop_columns(list(ADDED_COLUMNS[table]))))
    sealed = seal_trading_day(setup, DAY, "NIFTY")
    assert sealed.quarantined == () and quarantined_files(setup.location, DAY, "NIFTY") == []
    options = read_chain(setup.location, DAY, "NIFTY")
    assert stamps(options) == {pd.Timestamp(minute(DAY, m)) for m in MINUTES}
    old = options[options["timestamp"] == pd.Timestamp(minute(DAY, "0916"))]
    assert len(old) and old["exchange_timestamp"].isna().all() and old["stale"].isna().all()
