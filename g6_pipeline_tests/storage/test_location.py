"""The data location: atomic replacement on a local disk, and the same calls on an fsspec memory filesystem."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, time

import pytest

from g6_pipeline.storage import location as location_module
from g6_pipeline.storage.location import DataLocation, format_offset


def test_offsets_are_written_signed() -> None:
    assert [format_offset(o) for o in (0, 50, -100)] == ["0", "+50", "-100"]


DAY = date(2026, 11, 23)


def test_every_path_follows_the_documented_layout(location: DataLocation) -> None:
    layout = {
        location.minute_slice("options", DAY, "NIFTY", time(9, 15)):
            "parquet/options/date=2026-11-23/NIFTY/0915.parquet",
        location.sealed_file("overview", DAY, "SENSEX"): "parquet/overview/date=2026-11-23/SENSEX/day.parquet",
        location.raw_dir("options", DAY, "NIFTY"): "parquet/_raw/options/2026-11-23/NIFTY",
        location.staged_file("options", DAY, "NIFTY"): "parquet/_staging/options/2026-11-23/NIFTY/day.parquet",
        location.layout_marker(): "parquet/_layout.json",
        location.classic_csv("NIFTY", "this_week", -100, DAY): "g6_data/NIFTY/this_week/-100/2026-11-23.csv",
        location.overview_csv("NIFTY", DAY): "g6_data/overview/NIFTY/2026-11-23.csv",
        location.weekday_master_file("NIFTY", "next_month", 50, "MONDAY"):
            "weekday_master/NIFTY/next_month/+50/MONDAY.csv",
        location.weekday_day_record("NIFTY", DAY): "weekday_master/_days/NIFTY/2026-11-23.json",
        location.weekday_day_aggregate("NIFTY", DAY): "weekday_master/_days/NIFTY/2026-11-23.parquet",
        location.weekday_quality_file("NIFTY", DAY):
            "weekday_master/_quality/NIFTY/overlay_quality_2026-11-23.json",
        location.weekday_state_file("NIFTY", "MONDAY"): "weekday_master/_state/NIFTY/MONDAY.parquet",
        location.reference_file("BANKNIFTY", DAY): "_reference/BANKNIFTY/2026-11-23.json",
        location.influx_spool_dir(): "_spool/influx",
        location.instruments_dir(): "instruments",
        location.panels_dir(): "panels",
        location.runtime_status_file(): "runtime_status.json",
        location.probe_file(): ".g6-diagnose-probe",
    }  # fmt: skip
    root = location.root.path
    assert [os.path.relpath(path.path, root) for path in layout] == list(layout.values())


def test_listings_read_the_layout_back(location: DataLocation) -> None:
    other = date(2026, 11, 20)
    for day, index in ((DAY, "NIFTY"), (other, "SENSEX"), (DAY, "BANKNIFTY")):
        location.write_atomic(location.minute_slice("options", day, index, datetime(2026, 1, 1, 9, 16)), b"x")
        location.write_atomic(location.weekday_day_record(index, day), b"x")
    location.write_atomic(location.weekday_day_aggregate("SENSEX", date(2026, 11, 19)), b"x")  # an earlier format
    location.write_atomic(location.table_dir("options", DAY, "NIFTY") / "0915.parquet", b"x")
    location.write_atomic(location.table_dir("options", DAY, "NIFTY") / "notes.txt", b"x")
    location.write_atomic(location.table_root("options") / "date=someday" / "x", b"x")
    assert location.table_days("options") == [other, DAY]
    assert location.table_days("overview") == []
    assert location.table_indices("options", DAY) == ["BANKNIFTY", "NIFTY"]
    folder = location.table_dir("options", DAY, "NIFTY")
    assert location.minute_slice_names(folder) == ["0915.parquet", "0916.parquet"]
    assert location.weekday_aggregate_days("SENSEX") == [date(2026, 11, 19), other]
    for tag, offset in (("this_week", 0), ("this_week", -50), ("next_week", 100)):
        location.write_atomic(location.weekday_master_file("NIFTY", tag, offset, "MONDAY"), b"x")
    assert sorted(location.weekday_master_series("NIFTY")) == [
        ("next_week", 100), ("this_week", -50), ("this_week", 0)
    ]


def test_failed_rename_leaves_old_content_and_no_partial_file(
    location: DataLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = location.root / "a" / "file.csv"
    location.write_atomic(path, b"old\n")

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash between write and rename")

    monkeypatch.setattr(location_module.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        location.write_atomic(path, b"new content that must not appear\n")
    monkeypatch.undo()
    assert location.read_bytes(path) == b"old\n"
    assert os.listdir(path.parent.path) == ["file.csv"]


def test_listing_hides_temporary_files(location: DataLocation) -> None:
    folder = location.root / "f"
    location.write_atomic(folder / "x.csv", b"1")
    with open(os.path.join(folder.path, ".x.csv.tmp-dead"), "wb") as handle:
        handle.write(b"partial")
    assert location.list_names(folder) == ["x.csv"]


def test_memory_filesystem_takes_the_same_calls() -> None:
    loc = DataLocation(f"memory://g6-{uuid.uuid4().hex}")
    assert not loc.is_local
    path = loc.root / "g6_data" / "x.csv"
    loc.write_atomic(path, b"header\n")
    loc.append(path, b"row\n")
    assert loc.read_bytes(path) == b"header\nrow\n"
    assert loc.read_ends(path, 4) == (b"head", b"row\n", 11)
    assert loc.list_names(loc.root / "g6_data") == ["x.csv"]
    loc.remove(path)
    assert not loc.exists(path)


def test_parquet_seal_and_csv_work_on_a_memory_filesystem() -> None:
    from datetime import date

    from g6_pipeline.data import load_chain
    from g6_pipeline.storage.classic_csv import ClassicCsvSink
    from g6_pipeline.storage.parquet import ParquetSink
    from g6_pipeline.storage.seal import seal_day
    from g6_pipeline_tests.fakes.chains import make_day

    root = f"memory://g6-{uuid.uuid4().hex}"
    loc = DataLocation(root)
    day = date(2026, 11, 23)
    for chain in make_day("NIFTY", day, ["0915", "0916", "0915"]):
        assert ParquetSink(loc).write([chain]).error is None
        assert ClassicCsvSink(loc).write([chain]).error is None
    assert len(load_chain(day, "NIFTY", data_dir=root)) == 56
    assert seal_day(loc, day, "NIFTY", 375).rows == 56
    assert len(load_chain(day, "NIFTY", data_dir=root)) == 56
    lines = loc.read_bytes(loc.classic_csv("NIFTY", "this_week", 0, day)).splitlines()
    assert len(lines) == 3
