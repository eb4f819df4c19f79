"""A corrupt or unreadable stored file costs only what depends on it: every index is still collected."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, StorageError, read_table
from g6_pipeline_tests.fakes.config import make_config

YESTERDAY = datetime(2026, 11, 20, 15, 29, tzinfo=IST)  # a Friday: the session before Monday the 23rd
TODAY = datetime(2026, 11, 23, 10, 15, tzinfo=IST)


def collector(tmp_path: Path) -> Collector:
    config = make_config(tmp_path / "config", tmp_path / "data")
    made = Collector.from_settings(load_settings(config, environ={}))
    made.publishers = []
    return made


def truncate_yesterdays_sensex(tmp_path: Path) -> Path:
    """Collect yesterday's last minute, then cut SENSEX's option slice in half, as a crash would."""
    run_cycle(collector(tmp_path), YESTERDAY)
    path = DataLocation(tmp_path / "data").minute_slice(OPTIONS, YESTERDAY.date(), "SENSEX", YESTERDAY)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return Path(path.path)


def test_a_truncated_slice_of_yesterday_stops_no_index(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = truncate_yesterdays_sensex(tmp_path)
    with caplog.at_level(logging.WARNING, logger="g6_pipeline.collection.cycle"):
        report = run_cycle(collector(tmp_path), TODAY)
    assert {name: o.status for name, o in report.indices.items()} == {
        "NIFTY": "ok", "BANKNIFTY": "ok", "FINNIFTY": "ok", "SENSEX": "ok"
    }
    assert all(s.error is None for s in report.sinks)
    warnings = [r.getMessage() for r in caplog.records if "day reference unreadable" in r.getMessage()]
    assert len(warnings) == 1 and "SENSEX" in warnings[0] and str(broken) in warnings[0]
    nifty = report.indices["NIFTY"].chain
    sensex = report.indices["SENSEX"].chain
    assert nifty is not None and sensex is not None
    assert nifty.options["oi_change"].notna().any()  # NIFTY's reference was read as usual
    assert sensex.options["oi_change"].isna().all()  # SENSEX's is empty: no change is made up


def test_an_unreadable_reference_is_not_read_again_next_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    truncate_yesterdays_sensex(tmp_path)
    with caplog.at_level(logging.WARNING, logger="g6_pipeline.collection.cycle"):
        run_cycle(collector(tmp_path), TODAY)
        assert [r for r in caplog.records if "day reference unreadable" in r.getMessage()]
        caplog.clear()
        report = run_cycle(collector(tmp_path), TODAY.replace(minute=16))  # a new process, as each run is
    assert report.indices["SENSEX"].status == "ok"
    assert not [r for r in caplog.records if "day reference unreadable" in r.getMessage()]


def test_a_read_error_names_the_file(tmp_path: Path) -> None:
    broken = truncate_yesterdays_sensex(tmp_path)
    location = DataLocation(tmp_path / "data")
    with pytest.raises(StorageError, match=str(broken)):
        read_table(location, location.minute_slice(OPTIONS, YESTERDAY.date(), "SENSEX", YESTERDAY))


def test_a_reference_cache_that_cannot_be_written_degrades_to_an_uncached_reference(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_cycle(collector(tmp_path), YESTERDAY)
    run_cycle(collector(tmp_path), TODAY)  # today's first minute: the reference is complete from now on
    shutil.rmtree(tmp_path / "data" / "_reference", ignore_errors=True)
    (tmp_path / "data" / "_reference").write_text("not a folder")  # every write under it fails
    report = run_cycle(collector(tmp_path), TODAY.replace(minute=16))
    assert {o.status for o in report.indices.values()} == {"ok"}
    sensex = report.indices["SENSEX"].chain
    assert sensex is not None and sensex.options["oi_change"].notna().any()  # the reference was still used
    assert any("could not keep the reference" in r.getMessage() for r in caplog.records)
