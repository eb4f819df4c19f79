"""The weekday master keeps a few bytes per day: the day's aggregate is computed again from its sealed file."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.history.weekday_master import day_aggregate, update_range
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, ParquetSink, read_table
from g6_pipeline_tests.fakes.chains import make_chain, minute

MONDAYS = [date(2026, 11, 2), date(2026, 11, 9)]


def _store(location: DataLocation, day: date) -> None:
    chains = [make_chain("NIFTY", minute(day, m), spot=24_000.0 + i) for i, m in enumerate(("0915", "0916"))]
    ParquetSink(location).write_day(chains)


def _masters(location: DataLocation) -> dict[str, bytes]:
    root = location.weekday_master_root().path
    return {
        os.path.relpath(os.path.join(folder, n), root): Path(folder, n).read_bytes()
        for folder, _, names in os.walk(root)
        for n in names
        if n.endswith(".csv")
    }


def test_a_day_is_recorded_in_a_few_bytes_with_its_sources(
    location: DataLocation, calendar: MarketCalendar
) -> None:
    for day in MONDAYS:
        _store(location, day)
    update_range(location, MONDAYS, "NIFTY", 0.5, calendar)
    folder = Path(location.weekday_aggregate_dir("NIFTY").path)
    assert sorted(p.name for p in folder.iterdir()) == ["2026-11-02.json", "2026-11-09.json"]
    record = json.loads((folder / "2026-11-09.json").read_text())
    assert record == {"day": "2026-11-09", "index": "NIFTY", "g6_sources": ["kite"]}
    assert all(p.stat().st_size < 200 for p in folder.iterdir())


def test_an_earlier_stored_aggregate_is_folded_from_the_sealed_day_and_replaced(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path
) -> None:
    fresh = DataLocation(tmp_path / "fresh")
    for loc in (location, fresh):
        for day in MONDAYS:
            _store(loc, day)
    update_range(fresh, MONDAYS, "NIFTY", 0.5, calendar)
    # An earlier version stored the first Monday's aggregate itself (here with a wrong value, to show it is not read).
    options = read_table(location, location.sealed_file(OPTIONS, MONDAYS[0], "NIFTY")).to_pandas()
    old = day_aggregate(options, calendar.open_time, calendar.close_time).assign(tp=-1.0)
    path = Path(location.weekday_day_aggregate("NIFTY", MONDAYS[0]).path)
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(old, preserve_index=False), path)

    report = update_range(location, [MONDAYS[1]], "NIFTY", 0.5, calendar)[0]
    assert report.days_folded == tuple(MONDAYS)
    assert _masters(location) == _masters(fresh)
    assert not path.exists()
    assert json.loads(path.with_suffix(".json").read_text())["g6_sources"] == ["kite"]


def test_a_recorded_day_whose_sealed_file_is_gone_is_left_out_and_kept(
    location: DataLocation, calendar: MarketCalendar
) -> None:
    for day in MONDAYS:
        _store(location, day)
    update_range(location, MONDAYS, "NIFTY", 0.5, calendar)
    Path(location.sealed_file(OPTIONS, MONDAYS[0], "NIFTY").path).unlink()
    report = update_range(location, [MONDAYS[1]], "NIFTY", 0.5, calendar)[0]
    assert report.days_folded == (MONDAYS[1],)
    assert location.weekday_aggregate_days("NIFTY") == MONDAYS
