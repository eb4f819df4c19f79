"""A minute collected in one process while another seals the same day: the seal never loses the minute.

The seal process stops right after it has read the day (the slices and the sealed file it folds together)
and goes on only once the collecting process has tried to write: either it waits for the writer lock, or,
with no lock, it has written already and the seal would write its stale merge over it.
"""

from __future__ import annotations

import logging
import multiprocessing
from datetime import datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.settings import load_settings
from g6_pipeline.storage import parquet
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ROW_KEY, read_table
from g6_pipeline.storage.seal import seal_day, seal_overview
from g6_pipeline.storage.writer import WAITING
from g6_pipeline_tests.fakes.config import make_config

pytestmark = pytest.mark.slow

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)
LATE = OPEN + timedelta(minutes=4)
"""The minute collected while the seal runs."""
SPAWN = multiprocessing.get_context("spawn")
WAIT = 300


def collector_of(config: str) -> Collector:
    collector = Collector.from_settings(load_settings(Path(config), environ={}))
    collector.publishers = []
    return collector


def seal_paused(config: str, data: str, has_read: Event, go_on: Event) -> None:
    """Child process: seal NIFTY's day, pausing once it has read the day, until told to go on."""
    original = parquet.sealed_bytes
    paused = False

    def pause_then_serialise(table_name: str, table: Any, compression: str = "zstd") -> bytes:
        nonlocal paused
        if not paused:
            paused = True
            has_read.set()
            assert go_on.wait(WAIT), "the collecting process never tried to write"
        return original(table_name, table, compression)

    parquet.sealed_bytes = pause_then_serialise
    location = DataLocation(data)
    seal_day(location, OPEN.date(), "NIFTY", expected_minutes=375)
    seal_overview(location, OPEN.date(), "NIFTY", expected_minutes=375)


class _Tried(logging.Handler):
    """Sets the event when the writer logs that it waits for the lock."""

    def __init__(self, tried: Event) -> None:
        super().__init__(logging.WARNING)
        self.tried = tried

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(WAITING.split("%s")[0]):  # masking may have formatted the message
            self.tried.set()


def collect_minute(config: str, tried: Event) -> None:
    """Child process: collect LATE; `tried` once it waits for the lock, or else once it has written."""
    logging.getLogger("g6_pipeline").addHandler(_Tried(tried))
    report = run_cycle(collector_of(config), LATE)
    tried.set()
    assert all(s.error is None for s in report.sinks), report.sinks


def test_a_minute_collected_during_the_seal_is_in_the_sealed_day_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = str(make_config(tmp_path / "config", data, collection={"writer_lock_seconds": WAIT}))
    collector = collector_of(config)
    for k in range(3):
        run_cycle(collector, OPEN + timedelta(minutes=k))
    location = DataLocation(data)
    seal_day(location, OPEN.date(), "NIFTY", expected_minutes=375)  # sealed at midday ...
    run_cycle(collector, OPEN + timedelta(minutes=3))  # ... one more minute in the partition's slices

    has_read, go_on = SPAWN.Event(), SPAWN.Event()
    sealer = SPAWN.Process(target=seal_paused, args=(config, str(data), has_read, go_on))
    sealer.start()
    minute = None
    try:
        assert has_read.wait(WAIT), "the seal never read the day"
        minute = SPAWN.Process(target=collect_minute, args=(config, go_on))
        minute.start()
        minute.join(WAIT)
        sealer.join(WAIT)
    finally:
        for child in (sealer, minute):
            if child is not None and child.is_alive():
                child.kill()
    assert (sealer.exitcode, minute.exitcode) == (0, 0)

    for table_name, key in ((parquet.OPTIONS, list(ROW_KEY)), (parquet.OVERVIEW, ["timestamp"])):
        sealed = read_table(location, location.sealed_file(table_name, OPEN.date(), "NIFTY")).to_pandas()
        stamps = pd.DatetimeIndex(sealed["timestamp"]).tz_convert(IST)
        assert sorted(set(stamps.to_pydatetime())) == [OPEN + timedelta(minutes=k) for k in range(5)], table_name
        assert not sealed.duplicated(key).any(), table_name
        assert location.minute_slice_names(location.table_dir(table_name, OPEN.date(), "NIFTY")) == []
    late = sealed.loc[stamps == LATE]
    assert len(late) == 1  # the overview: one row per minute

    csv = Path(location.overview_csv("NIFTY", OPEN.date()).path).read_text().splitlines()[1:]
    csv_stamps = [line.split(",")[0] for line in csv]
    assert sum(LATE.strftime("%H:%M") in stamp for stamp in csv_stamps) == 1
    assert len(csv_stamps) == len(set(csv_stamps)) == 5
