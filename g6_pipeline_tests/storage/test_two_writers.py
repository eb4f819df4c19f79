"""Two processes collecting the same minute into one data directory leave one row per minute everywhere."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import CycleState, analytics_step, fetch_step, write_step
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.parquet import ROW_KEY
from g6_pipeline.util.lock import exclusive_lock
from g6_pipeline_tests.fakes.config import make_config

MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
MINUTES = 4
SPAWN = multiprocessing.get_context("spawn")


def collect(config: str, minute: datetime) -> tuple[Collector, CycleState]:
    collector = Collector.from_settings(load_settings(Path(config), environ={}))
    collector.publishers = []
    return collector, analytics_step(collector, fetch_step(collector, minute))


def collect_and_write(config: str, start_writing: Barrier) -> None:
    """Child process: collect each minute, wait for the other writer to be ready too, then write it."""
    for k in range(1, MINUTES):
        collector, state = collect(config, MINUTE + timedelta(minutes=k))
        start_writing.wait(300)
        write_step(collector, state)
        assert all(s.error is None for s in state.sinks), state.sinks


def test_two_writers_of_one_minute_store_it_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = make_config(tmp_path / "config", data)
    first, state = collect(str(config), MINUTE)  # the files exist: later minutes are appended
    write_step(first, state)
    barrier = SPAWN.Barrier(2)
    writers = [SPAWN.Process(target=collect_and_write, args=(str(config), barrier)) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(600)
    assert [w.exitcode for w in writers] == [0, 0]

    for index in ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"):
        chain = load_chain(MINUTE.date(), index, data_dir=str(data))
        assert chain["timestamp"].nunique() == MINUTES and not chain.duplicated(list(ROW_KEY)).any()
        assert len(load_overview(MINUTE.date(), index, data_dir=str(data))) == MINUTES
    files = sorted((data / "g6_data").rglob("*.csv"))
    assert len(files) > 100
    stamps = {str(f.relative_to(data)): [ln.split(",")[0] for ln in f.read_text().splitlines()[1:]] for f in files}
    twice = [name for name, minutes in stamps.items() if len(set(minutes)) != len(minutes)]
    assert twice == []
    assert sum(len(m) == MINUTES for m in stamps.values()) > 100  # most series have every minute, once


def hold_lock(path: str, held: Event, release: Event) -> None:
    """Child process: hold the writer lock, as a long write would, until told to let go."""
    with exclusive_lock(path, timeout=60):
        held.set()
        release.wait(300)


def test_a_writer_that_cannot_get_the_lock_writes_nothing_and_names_the_holder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = make_config(
        tmp_path / "config", data, collection={"writer_lock_seconds": 0}
    )
    collector, state = collect(str(config), MINUTE)
    held, release = SPAWN.Event(), SPAWN.Event()
    lock = collector.location.partition_lock_file(MINUTE.date(), "SENSEX")
    holder = SPAWN.Process(target=hold_lock, args=(str(lock.path), held, release))
    holder.start()
    try:
        assert held.wait(120)
        write_step(collector, state)
    finally:
        release.set()
        holder.join(120)
    assert [s.sink for s in state.sinks] == ["parquet", "classic_csv"]
    assert all(s.error and f"pid {holder.pid}:" in s.error for s in state.sinks)
    assert not (data / "parquet").exists() and not (data / "g6_data").exists()
