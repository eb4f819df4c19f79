"""An unreadable minute slice is moved aside whole (options and overview), named, and the rest is sealed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.history.quality import completeness
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, ParquetSink
from g6_pipeline.storage.quarantine import quarantine_unreadable, quarantined_files
from g6_pipeline.storage.seal import seal_day, seal_overview
from g6_pipeline_tests.fakes.chains import make_day

DAY = date(2026, 11, 23)


def _three_minutes(tmp_path: Path) -> tuple[DataLocation, list[pd.Timestamp]]:
    location = DataLocation(tmp_path / "data")
    chains = make_day("NIFTY", DAY, ["0915", "0916", "0917"])
    ParquetSink(location).write(chains)
    return location, [pd.Timestamp(c.timestamp) for c in chains]


def test_the_seal_moves_an_unreadable_minute_aside_and_seals_the_rest(tmp_path: Path) -> None:
    location, minutes = _three_minutes(tmp_path)
    broken = location.minute_slice(OPTIONS, DAY, "NIFTY", minutes[1].to_pydatetime())
    Path(broken.path).write_bytes(b"PAR1 not a parquet file")
    report = seal_day(location, DAY, "NIFTY", expected_minutes=3)
    seal_overview(location, DAY, "NIFTY", expected_minutes=3)
    (named,) = report.quarantined
    assert named.startswith(f"{broken.path}: unreadable Parquet file")
    assert report.minutes_collected == 2
    stored = load_chain(DAY, "NIFTY", data_dir=str(tmp_path / "data"))
    overview = load_overview(DAY, "NIFTY", data_dir=str(tmp_path / "data"))
    kept = {minutes[0], minutes[2]}
    assert set(pd.to_datetime(stored["timestamp"]).unique()) == kept
    assert set(pd.to_datetime(overview["timestamp"])) == kept  # no overview row without its options
    held = quarantined_files(location, DAY, "NIFTY")
    assert sorted(Path(p).parent.parent.parent.name for p in held) == [OPTIONS, OVERVIEW]
    assert Path(location.quarantine_dir(OPTIONS, DAY, "NIFTY").path, broken.name).read_bytes().startswith(b"PAR1")
    check = completeness(stored, 3, held)
    assert not check.passed and check.details["minutes_missing"] == 1 and check.details["files_quarantined"] == 2
    assert str(held[0]) in check.description


def test_readable_slices_stay_put(tmp_path: Path) -> None:
    location, _ = _three_minutes(tmp_path)
    assert quarantine_unreadable(location, DAY, "NIFTY") == []
    assert quarantined_files(location, DAY, "NIFTY") == []
    assert len(location.minute_slice_names(location.table_dir(OPTIONS, DAY, "NIFTY"))) == 3
