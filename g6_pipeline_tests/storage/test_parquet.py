"""Parquet slices, the daily seal, pruning and the read API, checked against the frames written."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from g6_pipeline.core.schema import OPTION_COLUMNS
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.storage import location as location_module
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline.storage.reader import read_chain, read_overview
from g6_pipeline.storage.seal import SealError, prune_raw, seal_day, seal_overview
from g6_pipeline_tests.fakes.chains import make_chain, make_day, minute

DAY = date(2026, 11, 23)


def _files(location: DataLocation, table: str = "options") -> list[str]:
    return sorted(os.listdir(location.table_dir(table, DAY, "NIFTY").path))


def test_minute_slices_round_trip_through_read_chain(location: DataLocation) -> None:
    chains = make_day("NIFTY", DAY, ["0915", "0916", "0917"])
    sink = ParquetSink(location)
    for chain in chains:
        outcome = sink.write([chain])
        assert outcome.error is None and outcome.rows == len(chain.options)
    assert _files(location) == ["0915.parquet", "0916.parquet", "0917.parquet"]
    loaded = read_chain(location, DAY, "NIFTY")
    expected = pd.concat([c.options for c in chains], ignore_index=True)
    assert list(loaded.columns) == list(OPTION_COLUMNS)
    assert str(loaded["timestamp"].dt.tz) == "Asia/Kolkata"
    key = ["timestamp", "tradingsymbol"]
    got = loaded.sort_values(key, ignore_index=True)
    want = expected.sort_values(key, ignore_index=True)
    assert (got["timestamp"] == want["timestamp"]).all()
    for column in ("last_price", "strike", "iv", "oi", "forward"):
        assert got[column].tolist() == pytest.approx(want[column].tolist())
    assert (got["offset"].to_numpy() == want["offset"].to_numpy()).all()


def test_rewriting_a_minute_replaces_it(location: DataLocation) -> None:
    sink = ParquetSink(location)
    sink.write([make_chain("NIFTY", minute(DAY, "0915"), spot=24_000.0)])
    sink.write([make_chain("NIFTY", minute(DAY, "0915"), spot=24_010.0)])
    loaded = read_chain(location, DAY, "NIFTY")
    assert not loaded.duplicated(["timestamp", "tradingsymbol"]).any()
    assert set(loaded["index_price"]) == {24_010.0}


def test_read_chain_filters_tag_and_columns(location: DataLocation) -> None:
    ParquetSink(location).write([make_chain("NIFTY", minute(DAY, "0915"))])
    part = read_chain(location, DAY, "NIFTY", expiry_tag="this_month", columns=["strike", "iv"])
    assert list(part.columns) == ["strike", "iv"]
    assert len(part) == 14
    with pytest.raises(FileNotFoundError, match="NIFTY on 2026-11-24"):
        read_chain(location, date(2026, 11, 24), "NIFTY")


def test_the_notebook_face_takes_text_for_the_day_and_the_folder(location: DataLocation) -> None:
    ParquetSink(location).write([make_chain("NIFTY", minute(DAY, "0915"))])
    folder = location.root.path
    chain = load_chain("2026-11-23", "NIFTY", expiry_tag="this_month", columns=["strike"], data_dir=folder)
    assert list(chain.columns) == ["strike"] and len(chain) == 14
    assert len(load_overview("2026-11-23", "NIFTY", data_dir=folder)) == 1
    with pytest.raises(FileNotFoundError, match="NIFTY on 2026-11-24"):
        load_chain("2026-11-24", "NIFTY", data_dir=folder)
    with pytest.raises(ValueError, match="not a date"):
        load_chain("23-11-2026", "NIFTY", data_dir=folder)


def test_load_chain_defaults_to_the_configured_data_dir(
    location: DataLocation, monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    ParquetSink(location).write([make_chain("NIFTY", minute(DAY, "0915"))])
    monkeypatch.setenv("G6_DATA_DIR", str(location.root))
    monkeypatch.setenv("G6_CONFIG_DIR", str(tmp_path))
    assert len(load_chain(DAY, "NIFTY")) == 28


def test_bad_rows_are_reported_not_written(location: DataLocation) -> None:
    good = make_chain("BANKNIFTY", minute(DAY, "0915"))
    chain = make_chain("NIFTY", minute(DAY, "0915"))
    bad = EnrichedChain(chain.snapshot, chain.options.drop(columns=["iv"]), chain.overview)
    outcome = ParquetSink(location).write([bad, good])
    assert outcome.error is not None and "NIFTY" in outcome.error and "iv" in outcome.error
    assert outcome.rows == len(good.options)
    assert not location.exists(location.table_dir("options", DAY, "NIFTY"))


def test_seal_compacts_verifies_and_is_idempotent(location: DataLocation) -> None:
    sink = ParquetSink(location)
    for chain in make_day("NIFTY", DAY, ["0915", "0916", "0917"]):
        sink.write([chain])
    before = read_chain(location, DAY, "NIFTY")
    report = seal_day(location, DAY, "NIFTY", expected_minutes=375)
    assert (report.rows, report.minutes_collected, report.minutes_expected) == (84, 3, 375)
    assert report.missing_legs_total == 0 and report.slices_merged == 3 and not report.complete
    assert _files(location) == ["day.parquet"]
    assert location.minute_slice_names(location.raw_dir("options", DAY, "NIFTY")) == [
        "0915.parquet", "0916.parquet", "0917.parquet"
    ]  # kept outside the partition tree
    assert report.file_bytes == os.path.getsize(report.path)
    sealed = pd.read_parquet(report.path)
    assert len(sealed) == 84
    # a dataset reader over the table sees the sealed rows once (the kept raw slices are outside it)
    assert pq.read_table(location.table_root("options").path).num_rows == 84
    data = Path(report.path).read_bytes()
    again = seal_day(location, DAY, "NIFTY", expected_minutes=375)
    assert again.rows == 84 and again.slices_merged == 0
    assert Path(report.path).read_bytes() == data
    after = read_chain(location, DAY, "NIFTY")
    pd.testing.assert_frame_equal(before, after)
    assert seal_overview(location, DAY, "NIFTY", 375).rows == 3


def test_a_minute_rewritten_after_the_seal_wins(location: DataLocation) -> None:
    sink = ParquetSink(location)
    for chain in make_day("NIFTY", DAY, ["0915", "0916"]):
        sink.write([chain])
    seal_day(location, DAY, "NIFTY", 375)
    sink.write([make_chain("NIFTY", minute(DAY, "0916"), spot=24_100.0)])
    # the sealed file takes the minute at once: the partition still holds only it, the slice is kept raw
    assert _files(location) == ["day.parquet"]
    assert location.minute_slice_names(location.raw_dir("options", DAY, "NIFTY")) == ["0915.parquet", "0916.parquet"]
    loaded = read_chain(location, DAY, "NIFTY")
    assert len(loaded) == 56
    assert set(loaded.loc[loaded["timestamp"] == minute(DAY, "0916"), "index_price"]) == {24_100.0}
    # asked for without the timestamp, the re-written minute still replaces the sealed one
    prices = read_chain(location, DAY, "NIFTY", columns=["index_price"])
    assert list(prices.columns) == ["index_price"] and len(prices) == 56
    assert (prices["index_price"] == 24_100.0).sum() == 28
    report = seal_day(location, DAY, "NIFTY", 375)
    assert report.rows == 56 and report.slices_merged == 0
    pd.testing.assert_frame_equal(loaded, read_chain(location, DAY, "NIFTY"))


def test_seal_of_an_empty_day_is_an_error(location: DataLocation) -> None:
    with pytest.raises(SealError, match="nothing stored for NIFTY"):
        seal_day(location, DAY, "NIFTY", 375)


def test_crash_while_sealing_keeps_the_slices_and_no_partial_file(
    location: DataLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    for chain in make_day("NIFTY", DAY, ["0915", "0916"]):
        ParquetSink(location).write([chain])

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash")

    monkeypatch.setattr(location_module.os, "replace", crash)
    with pytest.raises(OSError):
        seal_day(location, DAY, "NIFTY", 375)
    monkeypatch.undo()
    assert _files(location) == ["0915.parquet", "0916.parquet"]
    assert len(read_chain(location, DAY, "NIFTY")) == 56


def test_write_day_writes_the_sealed_file_directly(location: DataLocation) -> None:
    chains = make_day("SENSEX", DAY, ["0915", "0916", "0917", "0918"])
    rows, size = ParquetSink(location).write_day(chains)
    assert rows == sum(len(c.options) for c in chains) and size > 0
    assert location.list_names(location.table_dir("options", DAY, "SENSEX")) == ["day.parquet"]
    assert len(read_overview(location, DAY, "SENSEX")) == 4
    assert seal_day(location, DAY, "SENSEX", 375).minutes_collected == 4


def test_prune_removes_only_raw_slices_of_sealed_days(location: DataLocation) -> None:
    old, recent, unsealed = date(2026, 11, 2), date(2026, 11, 20), date(2026, 11, 3)
    sink = ParquetSink(location)
    for day in (old, recent, unsealed):
        sink.write([make_chain("NIFTY", minute(day, "0915"))])
    for day in (old, recent):
        seal_day(location, day, "NIFTY", 375)
        seal_overview(location, day, "NIFTY", 375)
    report = prune_raw(location, older_than=date(2026, 11, 10))
    assert report.days == ((old, "NIFTY"),) and report.files_removed == 2  # options + overview
    assert location.list_names(location.raw_dir("options", old, "NIFTY")) == []
    assert location.exists(location.sealed_file("options", old, "NIFTY"))
    assert location.list_names(location.raw_dir("options", recent, "NIFTY")) == ["0915.parquet"]
    assert location.list_names(location.table_dir("options", unsealed, "NIFTY")) == ["0915.parquet"]


def test_one_contract_under_two_tags_is_not_a_duplicate(location: DataLocation) -> None:
    from g6_pipeline.history import quality

    chain = make_chain("NIFTY", minute(DAY, "0915"), tags=("this_week",))
    shared = pd.concat([chain.options, chain.options.assign(expiry_tag="next_week")], ignore_index=True)
    ParquetSink(location).write([EnrichedChain(chain.snapshot, shared, chain.overview)])
    assert seal_day(location, DAY, "NIFTY", 375).rows == 28
    loaded = read_chain(location, DAY, "NIFTY")
    assert quality.duplicates(loaded).passed
    assert not quality.duplicates(pd.concat([loaded, loaded.iloc[:1]])).passed
