"""Two processes collecting the same minute into one data directory leave one row per minute everywhere."""

from __future__ import annotations

import multiprocessing
from datetime import datetime
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pandas as pd

from g6_pipeline.collection.components import Collector
from g6_pipeline.collection.cycle import analytics_step, fetch_step, write_step
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.parquet import ROW_KEY
from g6_pipeline_tests.fakes.config import make_config

MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
SPAWN = multiprocessing.get_context("spawn")


def collect_and_write(config: str, minute: str, start_writing: Barrier) -> None:
    """Child process: collect the minute, wait for the other writer to be ready too, then write it."""
    collector = Collector.from_settings(load_settings(Path(config), environ={}))
    collector.publishers = []
    state = analytics_step(collector, fetch_step(collector, datetime.fromisoformat(minute)))
    start_writing.wait(300)
    write_step(collector, state)
    assert all(s.error is None for s in state.sinks), state.sinks


def test_two_writers_of_one_minute_store_it_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = make_config(tmp_path / "config", data, collection={"late_grace_seconds": None})
    barrier = SPAWN.Barrier(2)
    writers = [
        SPAWN.Process(target=collect_and_write, args=(str(config), MINUTE.isoformat(), barrier)) for _ in range(2)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(600)
    assert [w.exitcode for w in writers] == [0, 0]

    for index in ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"):
        chain = load_chain(MINUTE.date(), index, data_dir=str(data))
        assert set(chain["timestamp"]) == {pd.Timestamp(MINUTE)} and not chain.duplicated(list(ROW_KEY)).any()
        assert len(load_overview(MINUTE.date(), index, data_dir=str(data))) == 1
    files = sorted((data / "g6_data").rglob("*.csv"))
    assert len(files) > 100
    twice = [str(f.relative_to(data)) for f in files if len(f.read_text().splitlines()) != 2]
    assert twice == []
