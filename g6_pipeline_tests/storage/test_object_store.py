"""Data on an object store: the Parquet writer, the daily seal, the classic CSV sink and `load_chain` take their
paths from `DataLocation`, so an fsspec URL works through the same code as a local folder and gives the same
data. fsspec's in-memory filesystem stands in for S3/GCS (same non-local branch: one put per write)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import fsspec
import pandas as pd
import pytest

from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline.storage.seal import seal_day, seal_overview
from g6_pipeline_tests.fakes.chains import make_day

DAY = date(2026, 11, 23)
MINUTES = ["0915", "0916", "0917"]


@pytest.fixture
def remote_root() -> Iterator[str]:
    """A fresh bucket-like root on fsspec's in-memory filesystem, emptied afterwards."""
    root = f"memory://g6-bucket-{uuid.uuid4().hex[:8]}/desk"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root.removeprefix("memory://")):
        fs.rm(root.removeprefix("memory://"), recursive=True)


def write_minutes(root: str) -> None:
    location = DataLocation(root)
    sink = ParquetSink(location)
    for chain in make_day("NIFTY", DAY, MINUTES):
        outcome = sink.write([chain])
        assert outcome.error is None, outcome.error


def test_minute_slices_on_the_store_read_back_like_local_disk(tmp_path: Path, remote_root: str) -> None:
    local_root = str(tmp_path / "data")
    write_minutes(local_root)
    write_minutes(remote_root)
    assert DataLocation(remote_root).is_local is False

    remote = load_chain(DAY, "NIFTY", data_dir=remote_root)
    local = load_chain(DAY, "NIFTY", data_dir=local_root)
    assert len(remote) == len(make_day("NIFTY", DAY, MINUTES)[0].options) * len(MINUTES)
    pd.testing.assert_frame_equal(remote, local)
    assert str(remote["timestamp"].dt.tz) == "Asia/Kolkata"
    pd.testing.assert_frame_equal(
        load_overview(DAY, "NIFTY", data_dir=remote_root), load_overview(DAY, "NIFTY", data_dir=local_root)
    )
    # the slices are real objects in the store, under the same layout as on disk
    fs = fsspec.filesystem("memory")
    names = fs.ls(
        remote_root.removeprefix("memory://") + f"/parquet/options/date={DAY}/NIFTY", detail=False
    )
    assert sorted(n.rsplit("/", 1)[-1] for n in names) == [f"{m}.parquet" for m in MINUTES]


def test_sealing_a_day_on_the_store(remote_root: str) -> None:
    write_minutes(remote_root)
    before = load_chain(DAY, "NIFTY", data_dir=remote_root)
    location = DataLocation(remote_root)
    report = seal_day(location, DAY, "NIFTY", expected_minutes=len(MINUTES))
    seal_overview(location, DAY, "NIFTY", expected_minutes=len(MINUTES))
    assert report.minutes_collected == len(MINUTES)
    assert location.exists(location.sealed_file("options", DAY, "NIFTY"))
    pd.testing.assert_frame_equal(load_chain(DAY, "NIFTY", data_dir=remote_root), before)


def test_one_expiry_and_some_columns_from_the_store(remote_root: str) -> None:
    write_minutes(remote_root)
    chain = load_chain(
        DAY, "NIFTY", expiry_tag="this_week", columns=["timestamp", "strike", "iv"], data_dir=remote_root
    )
    assert list(chain.columns) == ["timestamp", "strike", "iv"]
    full = load_chain(DAY, "NIFTY", data_dir=remote_root)
    assert len(chain) == int((full["expiry_tag"] == "this_week").sum()) > 0


def test_missing_day_on_the_store_is_an_error_naming_it(remote_root: str) -> None:
    with pytest.raises(FileNotFoundError, match="NIFTY on 2026-11-24"):
        load_chain(date(2026, 11, 24), "NIFTY", data_dir=remote_root)


def test_classic_csv_appends_on_the_store_like_on_disk(tmp_path: Path, remote_root: str) -> None:
    texts = []
    for root in (str(tmp_path / "data"), remote_root):
        location = DataLocation(root)
        sink = ClassicCsvSink(location)
        for chain in make_day("NIFTY", DAY, MINUTES):
            outcome = sink.write([chain])
            assert outcome.error is None, outcome.error
        texts.append(location.read_bytes(location.overview_csv("NIFTY", DAY)).decode())
    local, remote = texts
    assert remote == local
    assert len(remote.splitlines()) == 1 + len(MINUTES)
