"""A writer killed with SIGKILL at any write point of a minute, or while the seal commits the sealed file, leaves
the data directory consistent once the partition's lock is next taken: the minute whole or absent in every store
(Parquet options and overview slices, classic CSV lines), no temporary file or kept previous content left, the
next minute written, and the day sealed afterwards with every minute that was committed."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from datetime import datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from upath import UPath

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.defs.collection.job import collection_job, minute_run_config
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline.history.seal import seal_trading_day
from g6_pipeline.settings import load_settings
from g6_pipeline.storage import location as location_module
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, read_table
from g6_pipeline.storage.writer import partition_lock
from g6_pipeline_tests.fakes.config import make_config
from g6_pipeline_tests.history.history import setup_of

SPAWN = multiprocessing.get_context("spawn")
WAIT = 300
FIRST = datetime(2026, 11, 23, 10, 15, tzinfo=IST)  # a Monday
NEXT = FIRST + timedelta(minutes=1)
AFTER = FIRST + timedelta(minutes=2)
DAY = FIRST.date()
KILLED = "SENSEX"


def collector_of(config: str) -> Collector:
    collector = Collector.from_settings(load_settings(Path(config), environ={}))
    collector.publishers = []
    return collector


def _pause(at: Event) -> None:
    """Tell the parent the write point is reached, then wait to be killed."""
    at.set()
    threading.Event().wait()


def killed_at(config: str, data: str, point: str, at: Event, dagster_run: bool = False) -> None:
    """Child process: collect NEXT (in a Dagster run of the collection job when `dagster_run`), or seal the day
    (point "seal"), pausing at `point` of KILLED's partition."""
    location = DataLocation(data)
    real_write, real_append, real_move = location_module.write_atomic, DataLocation.append, DataLocation.move
    table = {"options slice": OPTIONS, "overview slice": OVERVIEW}.get(point)
    target = location.minute_slice(table, DAY, KILLED, NEXT).path if table else ""
    csv_root = location.root.joinpath("g6_data", KILLED).path + "/"
    appended = []

    def write_then_pause(path: Any, payload: bytes, **kwargs: Any) -> int:
        written = real_write(path, payload, **kwargs)
        if str(path) == target:
            _pause(at)
        return written

    def append_then_pause(self: DataLocation, path: UPath, payload: bytes) -> int:
        written = real_append(self, path, payload)
        if point == "csv appends" and path.path.startswith(csv_root):
            appended.append(path.path)
            if len(appended) == 3:  # some series files have the minute's line, others not yet
                _pause(at)
        return written

    def move_then_pause(self: DataLocation, source: UPath, destination: UPath) -> None:
        real_move(self, source, destination)
        if point == "seal" and "/_raw/" in destination.path:  # the staged day written, the first slice moved
            _pause(at)

    location_module.write_atomic = write_then_pause  # type: ignore[assignment]
    DataLocation.append = append_then_pause  # type: ignore[method-assign,assignment]
    DataLocation.move = move_then_pause  # type: ignore[method-assign,assignment]
    if point == "seal":
        seal_trading_day(setup_of(Path(config)), DAY, KILLED)
    elif dagster_run:
        with dg.instance_for_test() as instance:
            run_minute_job(config, NEXT, instance)
    else:
        run_cycle(collector_of(config), NEXT)
    raise AssertionError(f"the write point {point!r} was never reached")


def run_minute_job(config: str, minute: datetime, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """The collection job's run of `minute`, as Dagster executes it."""
    return collection_job.execute_in_process(run_config=minute_run_config(minute.isoformat()), instance=instance,
                                             resources=shared_resources(G6Resource(config_dir=config)))


def kill_at(point: str, config: str, data: Path, dagster_run: bool = False) -> None:
    at = SPAWN.Event()
    child = SPAWN.Process(target=killed_at, args=(config, str(data), point, at, dagster_run))
    child.start()
    try:
        assert at.wait(WAIT), f"the child never reached {point}"
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(WAIT)
    finally:
        if child.is_alive():
            child.kill()
    assert child.exitcode == -signal.SIGKILL


def stored(data: Path, index: str) -> dict[str, bytes]:
    """Every visible file of one index in the Parquet and classic CSV stores, by relative path."""
    out = {}
    for top in ("parquet", "g6_data"):
        for path in sorted((data / top).rglob("*")):
            relative = path.relative_to(data)
            if path.is_file() and not any(p.startswith(".") for p in relative.parts) and index in relative.parts:
                out[str(relative)] = path.read_bytes()
    return out


def leftovers(data: Path) -> list[str]:
    """Hidden files a writer leaves while it works (temporary files, kept previous contents, a minute's journal)."""
    return sorted(str(p.relative_to(data)) for p in data.rglob(".*")
                  if p.is_file() and p.name != ".g6-diagnose-probe" and not p.name.endswith((".lock", ".lock.queue")))


def minute_in_stores(location: DataLocation, index: str, minute: datetime) -> set[str]:
    """The stores holding `minute` of `index`: each Parquet slice, and "csv" when the overview CSV and one series
    file per (expiry tag, offset) of the options slice have its line ("some csv lines" when only some do)."""
    stamp = minute.strftime("\n%d-%m-%Y %H:%M:%S,").encode()  # a classic line starts with its minute
    held = {t for t in (OPTIONS, OVERVIEW) if location.exists(location.minute_slice(t, DAY, index, minute))}
    csv = [p for p in Path(location.root.path, "g6_data").rglob("*.csv") if f"/{index}/" in str(p)]
    with_line = [p for p in csv if stamp in p.read_bytes()]
    if not with_line:
        return held
    series = 0
    if OPTIONS in held:
        options = read_table(location, location.minute_slice(OPTIONS, DAY, index, minute)).to_pandas()
        series = len(options[["expiry_tag", "offset"]].drop_duplicates())
    overview = location.overview_csv(index, DAY).path
    whole = overview in map(str, with_line) and len(with_line) == series + 1
    return held | {"csv" if whole else "some csv lines"}


@pytest.mark.slow
@pytest.mark.parametrize("point", ["options slice", "overview slice", "csv appends"])
def test_a_minute_killed_at_a_write_point_is_absent_in_every_store_and_the_day_seals(
    tmp_path: Path, point: str
) -> None:
    data = tmp_path / "data"
    config = str(make_config(tmp_path / "config", data, collection={"writer_lock_seconds": WAIT}))
    assert run_cycle(collector_of(config), FIRST).not_stored() == []
    before = stored(data, KILLED)
    location = DataLocation(data)

    kill_at(point, config, data)
    assert minute_in_stores(location, KILLED, NEXT) != set()  # the kill left part of the minute
    with partition_lock(location, DAY, KILLED, timeout=WAIT):  # the next writer of the partition
        pass
    assert stored(data, KILLED) == before  # byte for byte: the killed minute is absent in every store
    for index in ("NIFTY", "BANKNIFTY", "FINNIFTY"):  # written before the kill, or not at all: whole or absent
        assert minute_in_stores(location, index, NEXT) in (set(), {OPTIONS, OVERVIEW, "csv"}), index

    report = run_cycle(collector_of(config), AFTER)  # no stale lock: the next minute is written
    assert report.not_stored() == []
    assert minute_in_stores(location, KILLED, AFTER) == {OPTIONS, OVERVIEW, "csv"}
    seal_trading_day(setup_of(Path(config)), DAY, KILLED)
    for table_name in (OPTIONS, OVERVIEW):
        sealed = read_table(location, location.sealed_file(table_name, DAY, KILLED)).to_pandas()
        assert set(pd.DatetimeIndex(sealed["timestamp"]).tz_convert(IST).to_pydatetime()) == {FIRST, AFTER}
    assert location.exists(location.seal_record_file(KILLED, DAY))
    assert leftovers(data) == []


@pytest.mark.slow
def test_a_seal_killed_while_committing_the_sealed_file_is_finished_by_the_next_seal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = str(make_config(tmp_path / "config", data, collection={"writer_lock_seconds": WAIT}))
    collector = collector_of(config)
    for minute in (FIRST, NEXT, AFTER):
        assert run_cycle(collector, minute).not_stored() == []
    location = DataLocation(data)

    kill_at("seal", config, data)
    assert location.exists(location.staged_file(OPTIONS, DAY, KILLED))  # killed between staging and the rename
    assert run_cycle(collector, AFTER + timedelta(minutes=1)).not_stored() == []  # the partition is not locked
    seal_trading_day(setup_of(Path(config)), DAY, KILLED)
    for table_name in (OPTIONS, OVERVIEW):
        sealed = read_table(location, location.sealed_file(table_name, DAY, KILLED)).to_pandas()
        stamps = set(pd.DatetimeIndex(sealed["timestamp"]).tz_convert(IST).to_pydatetime())
        assert stamps == {FIRST + timedelta(minutes=k) for k in range(4)}, table_name
        assert not location.exists(location.staged_file(table_name, DAY, KILLED))
        assert location.minute_slice_names(location.table_dir(table_name, DAY, KILLED)) == []
    assert location.exists(location.seal_record_file(KILLED, DAY))
    assert leftovers(data) == []


@pytest.mark.slow
def test_a_dagster_run_killed_mid_minute_leaves_it_absent_and_the_next_run_writes_its_minute(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = str(make_config(tmp_path / "config", data, collection={"writer_lock_seconds": WAIT}))
    with dg.instance_for_test() as instance:
        assert run_minute_job(config, FIRST, instance).success
        before = stored(data, KILLED)
        kill_at("overview slice", config, data, dagster_run=True)
        location = DataLocation(data)
        assert minute_in_stores(location, KILLED, NEXT) == {OPTIONS, OVERVIEW}  # killed before its CSV lines
        assert run_minute_job(config, AFTER, instance).success  # the next run takes the lock and undoes it
    assert minute_in_stores(location, KILLED, NEXT) == set()
    assert minute_in_stores(location, KILLED, AFTER) == {OPTIONS, OVERVIEW, "csv"}
    assert set(before) <= set(stored(data, KILLED))
    assert leftovers(data) == []
