"""A re-collected minute replaces its classic CSV lines exactly, and a minute that fails in one store is undone in
all of them (`storage.minute`)."""

from __future__ import annotations

import errno
import os
from datetime import date
from pathlib import Path

import pytest

from g6_pipeline.storage import location as location_module
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.minute import commit_minute
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline_tests.fakes.chains import make_chain, minute

DAY = date(2026, 11, 23)


def files(root: Path) -> dict[str, bytes]:
    """Every visible file under `root` (no hidden lock or temporary file), by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


def collect(root: Path, *minutes: tuple[str, int]) -> dict[str, bytes]:
    """Write each (HHMM, half width) minute of NIFTY into both stores at `root`; the classic CSV files after."""
    location = DataLocation(root)
    for hhmm, width in minutes:
        chain = make_chain("NIFTY", minute(DAY, hhmm), half_width=width)
        for sink in (ParquetSink(location), ClassicCsvSink(location)):
            assert sink.write([chain]).error is None
    return files(root / "g6_data")


def test_a_minute_collected_again_with_a_narrower_window_leaves_exactly_its_new_lines(tmp_path: Path) -> None:
    expected = collect(tmp_path / "once", ("0915", 5), ("0916", 2))
    again = collect(tmp_path / "again", ("0915", 5), ("0916", 5), ("0916", 2))
    assert again == expected
    far = next(k for k in expected if "/+250/" in k)  # a strike that left the window at 09:16
    assert b"09:16:00" not in expected[far] and b"09:15:00" in expected[far]


def test_the_first_minute_collected_again_narrower_removes_the_files_it_alone_held(tmp_path: Path) -> None:
    expected = collect(tmp_path / "once", ("0915", 2), ("0916", 2))
    again = collect(tmp_path / "again", ("0915", 5), ("0915", 2), ("0916", 2))
    assert again == expected  # no file of a strike only the first collection had; day changes on the new base


def test_a_failing_csv_append_undoes_the_parquet_slices_and_the_lines_appended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collect(tmp_path, ("0915", 3))
    before = files(tmp_path)
    appends = []
    real_append = DataLocation.append

    def append_then_fail(self: DataLocation, path, data: bytes) -> int:  # type: ignore[no-untyped-def]
        appends.append(path)
        if len(appends) == 5:  # four series files already have their new line
            raise OSError(errno.EIO, "Input/output error")
        return real_append(self, path, data)

    monkeypatch.setattr(DataLocation, "append", append_then_fail)
    location = DataLocation(tmp_path)
    done = commit_minute(location, [ParquetSink(location), ClassicCsvSink(location)],
                         make_chain("NIFTY", minute(DAY, "0916")))
    assert done.error is not None and done.written == {}
    assert done.error == f"not written (classic_csv {appends[-1]}): Input/output error"
    assert files(tmp_path) == before


def test_a_full_disk_at_the_overview_slice_keeps_no_options_slice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collect(tmp_path, ("0915", 3))
    before = files(tmp_path)
    real_write = location_module.write_atomic

    def full_at_overview(path: str | os.PathLike[str], data: bytes, **kwargs: object) -> int:
        if "overview" in str(path) and str(path).endswith(".parquet"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(location_module, "write_atomic", full_at_overview)
    location = DataLocation(tmp_path)
    done = commit_minute(location, [ParquetSink(location), ClassicCsvSink(location)],
                         make_chain("NIFTY", minute(DAY, "0916")))
    assert done.error is not None and done.error.startswith("not written (parquet ")
    assert "/overview/" in done.error and done.error.endswith("0916.parquet): No space left on device")
    assert files(tmp_path) == before


def test_a_minute_collected_again_that_fails_puts_back_the_previous_minute_in_every_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collect(tmp_path, ("0915", 3), ("0916", 3))
    before = files(tmp_path)
    real_write = location_module.write_atomic
    csv_writes: list[str] = []

    def third_csv_replacement_fails(path: str | os.PathLike[str], data: bytes, **kwargs: object) -> int:
        if str(path).endswith(".csv"):
            csv_writes.append(str(path))
            if len(csv_writes) == 3:
                raise OSError(errno.EACCES, "Permission denied")
        return real_write(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(location_module, "write_atomic", third_csv_replacement_fails)
    location = DataLocation(tmp_path)
    done = commit_minute(location, [ParquetSink(location), ClassicCsvSink(location)],
                         make_chain("NIFTY", minute(DAY, "0916"), half_width=2, spot=24_010.0))
    assert done.error == f"not written (classic_csv {csv_writes[-1]}): Permission denied"
    assert files(tmp_path) == before  # the previous 09:16 slices and lines, as they were
    assert not [p for p in tmp_path.rglob(".*.undo")]
    again = commit_minute(location, [ParquetSink(location), ClassicCsvSink(location)],
                          make_chain("NIFTY", minute(DAY, "0916"), half_width=2, spot=24_010.0))
    assert again.error is None and files(tmp_path) != before and not [p for p in tmp_path.rglob(".*.undo")]
