"""Live minutes first: a backfill of past days never makes the current minute wait, neither while it generates a
day nor while it commits one, and it holds the day's lock only for the commit.

The backfill runs in its own process and stops at two points, each until the test lets it go on: while the
synthetic market builds the day (nothing prepared is written yet) and while the day is being written. At
each stop a minute of today is collected with no patience for any lock (`writer_lock_seconds: 0`).
"""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import analytics_step, fetch_step, write_step
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_overview
from g6_pipeline.settings import load_settings
from g6_pipeline.util.lock import LockTimeoutError, exclusive_lock
from g6_pipeline_tests.history.history import setup_of, small_config

PAST = date(2026, 11, 20)
MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
SPAWN = multiprocessing.get_context("spawn")
WAIT = 300


def backfill_pausing(config: str, generating: Event, committing: Event, go_on: list[Event]) -> None:
    """Child process: backfill NIFTY on PAST, stopping while the day is built and while it is written."""
    from g6_pipeline.history.backfill import backfill_synthetic
    from g6_pipeline.providers.synthetic import SyntheticMarket
    from g6_pipeline.storage.classic_csv import ClassicCsvSink

    build, write = SyntheticMarket.day_snapshots, ClassicCsvSink.write_day_frames

    def building(self: Any, *args: Any, **kwargs: Any) -> Any:
        generating.set()
        assert go_on[0].wait(WAIT)
        return build(self, *args, **kwargs)

    def writing(self: Any, *args: Any, **kwargs: Any) -> Any:
        committing.set()
        assert go_on[1].wait(WAIT)
        return write(self, *args, **kwargs)

    SyntheticMarket.day_snapshots = building  # type: ignore[method-assign]
    ClassicCsvSink.write_day_frames = writing  # type: ignore[method-assign]
    report = backfill_synthetic(setup_of(Path(config)), PAST, PAST, ["NIFTY"])
    assert [o.outcome for o in report.outcomes] == ["generated"], report.outcomes


def minute_written(config: Path, minute: datetime) -> list[str | None]:
    """Collect and write `minute`; each sink's error (None when it wrote)."""
    collector = Collector.from_settings(load_settings(config, environ={}))
    collector.publishers = []
    state = write_step(collector, analytics_step(collector, fetch_step(collector, minute)))
    return [s.error for s in state.sinks]


@pytest.mark.slow
def test_a_backfill_never_makes_the_minute_wait_and_locks_its_day_only_to_commit(tmp_path: Path) -> None:
    config = small_config(tmp_path, "NIFTY", collection={"writer_lock_seconds": 0})
    location = setup_of(config).location
    generating, committing = SPAWN.Event(), SPAWN.Event()
    go_on = [SPAWN.Event(), SPAWN.Event()]
    child = SPAWN.Process(target=backfill_pausing, args=(str(config), generating, committing, go_on))
    child.start()
    try:
        assert generating.wait(WAIT), "the backfill never started building its day"
        assert minute_written(config, MINUTE) == [None, None]
        past_lock = location.partition_lock_file(PAST, "NIFTY").path
        with exclusive_lock(past_lock, timeout=0):  # nothing is held while the day is prepared
            pass
        go_on[0].set()

        assert committing.wait(WAIT), "the backfill never wrote its day"
        assert minute_written(config, MINUTE + timedelta(minutes=1)) == [None, None]
        with pytest.raises(LockTimeoutError), exclusive_lock(past_lock, timeout=0):  # the commit holds its day
            pass
        go_on[1].set()
        child.join(WAIT)
    finally:
        for event in go_on:
            event.set()
        child.join(WAIT)
    assert child.exitcode == 0
    assert len(load_overview(MINUTE.date(), "NIFTY", data_dir=str(tmp_path / "data"))) == 2
    assert location.exists(location.sealed_file("options", PAST, "NIFTY"))
    assert location.exists(location.seal_record_file("NIFTY", PAST))
