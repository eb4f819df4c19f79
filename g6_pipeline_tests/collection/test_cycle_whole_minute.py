"""An index's minute is whole or absent: a full disk, a failing CSV write or a read-only data directory leave none of
it in any store, the report fails that index in one line naming the store and file, the other indices are written."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.settings import load_settings
from g6_pipeline.storage import location as location_module
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW
from g6_pipeline_tests.fakes.config import make_config

FIRST = datetime(2026, 11, 23, 10, 15, tzinfo=IST)  # a Monday
NEXT = FIRST + timedelta(minutes=1)


def collector(tmp_path: Path) -> Collector:
    made = Collector.from_settings(load_settings(make_config(tmp_path / "config", tmp_path / "data"), environ={}))
    made.publishers = []
    return made


def stored(tmp_path: Path, index: str = "") -> dict[str, bytes]:
    """Every visible file of the Parquet and classic CSV stores (of one index when given), by relative path."""
    data = tmp_path / "data"
    out = {}
    for top in ("parquet", "g6_data"):
        for path in sorted((data / top).rglob("*")):
            relative = path.relative_to(data)
            if path.is_file() and not any(p.startswith(".") for p in relative.parts) and index in relative.parts:
                out[str(relative)] = path.read_bytes()
    return out


def test_a_full_disk_at_the_overview_slice_leaves_none_of_the_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cycle(collector(tmp_path), FIRST)
    before = stored(tmp_path, "SENSEX")
    real_write = location_module.write_atomic
    overview_slice = DataLocation(tmp_path / "data").minute_slice(OVERVIEW, NEXT.date(), "SENSEX", NEXT)

    def full_at_sensex_overview(path: str | os.PathLike[str], data: bytes, **kwargs: object) -> int:
        if str(path) == overview_slice.path:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(location_module, "write_atomic", full_at_sensex_overview)
    report = run_cycle(collector(tmp_path), NEXT)
    sensex = report.indices["SENSEX"]
    assert sensex.status == "failed"
    assert sensex.error == f"not written (parquet {overview_slice.path}): No space left on device"
    assert report.not_stored() == [f"SENSEX: {sensex.error}"]  # why the run fails: one line, said once
    assert stored(tmp_path, "SENSEX") == before  # no options slice, no CSV line of the minute
    assert {n: o.status for n, o in report.indices.items() if n != "SENSEX"} == dict.fromkeys(
        ("NIFTY", "BANKNIFTY", "FINNIFTY"), "ok")
    location = DataLocation(tmp_path / "data")
    assert location.exists(location.minute_slice(OPTIONS, NEXT.date(), "NIFTY", NEXT))
    assert location.read_bytes(location.overview_csv("NIFTY", NEXT.date())).count(b"\n") == 3  # header, 2 minutes


def test_a_failing_csv_write_removes_the_minutes_parquet_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cycle(collector(tmp_path), FIRST)
    before = stored(tmp_path, "SENSEX")
    real_append = DataLocation.append
    appended: list[str] = []

    def third_sensex_append_fails(self: DataLocation, path, data: bytes) -> int:  # type: ignore[no-untyped-def]
        if "SENSEX" in str(path):
            appended.append(str(path))
            if len(appended) == 3:
                raise OSError(errno.EIO, "Input/output error")
        return real_append(self, path, data)

    monkeypatch.setattr(DataLocation, "append", third_sensex_append_fails)
    report = run_cycle(collector(tmp_path), NEXT)
    assert report.indices["SENSEX"].status == "failed"
    assert report.indices["SENSEX"].error == f"not written (classic_csv {appended[-1]}): Input/output error"
    assert stored(tmp_path, "SENSEX") == before  # the two lines appended are cut back, the slices removed
    assert {o.status for n, o in report.indices.items() if n != "SENSEX"} == {"ok"}


@pytest.fixture
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The data directory made read-only: by its permissions, or, where they bind nobody (root), by every write
    under it failing as a read-only file system makes it fail."""
    data = tmp_path / "data"
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [data, *data.rglob("*")]}
        for path, mode in modes.items():
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        yield
        for path, mode in modes.items():
            path.chmod(mode)
        return
    real_open, real_mkdir = os.open, os.mkdir
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def refused(path: object) -> OSError:
        return OSError(errno.EROFS, "Read-only file system", str(path))

    def open_read_only(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & writes and str(path).startswith(str(data)):
            raise refused(path)
        return real_open(path, flags, *args, **kwargs)

    def mkdir_read_only(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(data)):
            raise refused(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_read_only)
    monkeypatch.setattr(os, "mkdir", mkdir_read_only)
    yield


def test_a_read_only_data_directory_fails_the_minute_in_one_line(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    run_cycle(collector(tmp_path), FIRST)
    before = stored(tmp_path)
    made = collector(tmp_path)
    request.getfixturevalue("read_only")
    report = run_cycle(made, NEXT)
    assert {o.status for o in report.indices.values()} == {"failed"}
    for outcome in report.indices.values():
        assert outcome.error is not None and outcome.error.startswith("not written (")
        assert "\n" not in outcome.error and str(tmp_path / "data") in outcome.error
        assert "Read-only file system" in outcome.error or "Permission denied" in outcome.error
    assert stored(tmp_path) == before
