"""The data location: atomic replacement on a local disk, and the same calls on an fsspec memory filesystem."""

from __future__ import annotations

import os
import uuid

import pytest

from g6_pipeline.storage import location as location_module
from g6_pipeline.storage.location import DataLocation, format_offset


def test_offsets_are_written_signed() -> None:
    assert [format_offset(o) for o in (0, 50, -100)] == ["0", "+50", "-100"]


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
    from g6_pipeline_tests.storage.chains import make_day

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
