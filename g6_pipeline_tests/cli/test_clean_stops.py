"""Every long-running command stops cleanly on SIGTERM and on SIGINT (sent to its whole process group, as a
terminal's Ctrl-C is): its process tree ends, what it wrote is whole, its locks are free, no semaphore leaks,
and its exit code and last line say it was stopped.

Each command is caught in the middle of its work by a writer lock the test holds on a later day: the command
writes the days before it, then waits for it and says so; the test sends the signal on that line.
"""

from __future__ import annotations

import os
import shutil
import signal
from datetime import date
from pathlib import Path

import pytest

from g6_pipeline.history.backfill import backfill_synthetic
from g6_pipeline.storage.holdings import holdings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.lock import exclusive_lock
from g6_pipeline_tests.fakes.processes import Watched, descendants, g6_command, still_running
from g6_pipeline_tests.history.history import setup_of, small_config

SIGNALS = [signal.SIGTERM, signal.SIGINT]
DAYS = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]
BLOCKED = date(2026, 11, 18)


def _env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "DAGSTER_"))}
    return {**env, "G6_CONFIG_DIR": str(config), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def _stop(command: Watched, signum: signal.Signals, waiting: str) -> tuple[int, set[int]]:
    """Wait for `waiting`, note the process tree, send `signum` (SIGINT to the group); (exit code, tree)."""
    command.wait_for(waiting)
    tree = descendants(command.pid)
    command.send(signum, group=signum == signal.SIGINT)
    return command.finish(), tree


def _assert_stopped(command: Watched, code: int, tree: set[int], signum: signal.Signals, name: str) -> None:
    assert code == 128 + signum, "\n".join(command.err[-20:])
    assert command.err[-1] == f"g6 {name}: stopped by {signum.name} (exit {128 + signum})"
    assert still_running(tree) == set()
    text = "\n".join(command.err)
    assert "leaked semaphore" not in text and "Traceback" not in text


def _assert_locks_free(data: Path) -> None:
    for lock in (data / ".g6-locks").rglob("*.lock"):
        with exclusive_lock(lock, timeout=0):
            pass


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_backfill_stops_its_workers_and_leaves_every_day_whole(tmp_path: Path, signum: signal.Signals) -> None:
    config = small_config(tmp_path, "NIFTY", "SENSEX")
    data = tmp_path / "data"
    location = DataLocation(data)
    blocked = location.partition_lock_file(BLOCKED, "NIFTY").path
    command = None
    try:
        with exclusive_lock(blocked, timeout=0):
            command = Watched(g6_command("backfill", "--start", DAYS[0].isoformat(), "--end", DAYS[-1].isoformat(),
                                         "--workers", "2"), _env(config))
            code, tree = _stop(command, signum, f"waiting for the writer lock of NIFTY {BLOCKED.isoformat()}")
        assert len(tree) >= 2  # the two workers (and multiprocessing's resource tracker)
        _assert_stopped(command, code, tree, signum, "backfill")
        assert any(line.startswith("g6 backfill: stopped after ") for line in command.err)
    finally:
        if command is not None:
            command.kill()
    _assert_locks_free(data)
    for day in DAYS:
        for index in ("NIFTY", "SENSEX"):
            if holdings(location, day, index).empty:
                continue  # untouched
            for table in ("options", "overview"):
                assert location.exists(location.sealed_file(table, day, index)), (day, index)
            assert location.exists(location.seal_record_file(index, day)), (day, index)
            assert location.exists(location.overview_csv(index, day)), (day, index)
    assert holdings(location, BLOCKED, "NIFTY").empty


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_import_classic_stops_after_the_commit_it_is_in(tmp_path: Path, signum: signal.Signals) -> None:
    source = small_config(tmp_path / "source", "SENSEX")
    backfill_synthetic(setup_of(source), DAYS[0], DAYS[1], workers=1)
    folder = tmp_path / "classic"
    shutil.copytree(tmp_path / "source" / "data" / "g6_data", folder)
    config = small_config(tmp_path, "SENSEX")
    data = tmp_path / "data"
    location = DataLocation(data)
    command = None
    try:
        with exclusive_lock(location.partition_lock_file(DAYS[1], "SENSEX").path, timeout=0):
            command = Watched(g6_command("import-classic", str(folder)), _env(config))
            code, tree = _stop(command, signum, f"waiting for the writer lock of SENSEX {DAYS[1].isoformat()}")
        _assert_stopped(command, code, tree, signum, "import-classic")
        assert any(line.endswith("; stopped: the rest was not read") for line in command.err)
    finally:
        if command is not None:
            command.kill()
    _assert_locks_free(data)
    for table in ("options", "overview"):
        assert location.exists(location.sealed_file(table, DAYS[0], "SENSEX"))
    assert not location.exists(location.table_dir("options", DAYS[1], "SENSEX"))


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_import_bhavcopy_stops_after_the_commit_it_is_in(tmp_path: Path, signum: signal.Signals) -> None:
    from g6_pipeline_tests.cli.test_bhavcopy_cmd import MONDAY, TUESDAY, bhavcopy

    config = small_config(tmp_path, "NIFTY")
    data = tmp_path / "data"
    location = DataLocation(data)
    for day in (MONDAY, TUESDAY):
        bhavcopy(tmp_path / "in", day)
    command = None
    try:
        with exclusive_lock(location.partition_lock_file(TUESDAY, "NIFTY").path, timeout=0):
            command = Watched(g6_command("import-bhavcopy", str(tmp_path / "in"), "--index", "NIFTY"), _env(config))
            code, tree = _stop(command, signum, f"waiting for the writer lock of NIFTY {TUESDAY.isoformat()}")
        _assert_stopped(command, code, tree, signum, "import-bhavcopy")
    finally:
        if command is not None:
            command.kill()
    _assert_locks_free(data)
    assert location.exists(location.sealed_file("options", MONDAY, "NIFTY"))
    assert location.exists(location.sealed_file("overview", MONDAY, "NIFTY"))
    assert holdings(location, TUESDAY, "NIFTY").empty


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_chain_watch_stops(tmp_path: Path, signum: signal.Signals) -> None:
    config = small_config(tmp_path, "SENSEX")
    backfill_synthetic(setup_of(config), DAYS[0], DAYS[0], workers=1)
    command = Watched(g6_command("chain", "SENSEX", "--watch", "--refresh", "0.2"), _env(config))
    try:
        code, tree = _stop(command, signum, "SENSEX")
        _assert_stopped(command, code, tree, signum, "chain")
    finally:
        command.kill()


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_repair_stops_between_minutes(tmp_path: Path, signum: signal.Signals) -> None:
    from datetime import timedelta

    from g6_pipeline.collection.collector import Collector
    from g6_pipeline.collection.cycle import run_cycle
    from g6_pipeline.core.calendar import MarketCalendar
    from g6_pipeline.providers.synthetic import SyntheticMarket
    from g6_pipeline.settings import load_settings
    from g6_pipeline_tests.cli.test_repair_cmd import LIVE, NOW
    from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
    from g6_pipeline_tests.fakes.kite_server import kite_server

    clock = {"now": LIVE[0]}
    day = LIVE[0].date()
    location = DataLocation(tmp_path / "data")
    with kite_server(SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG)), clock=lambda: clock["now"]) as server:
        config = write_kite_config(tmp_path, server.url, strikes=1)
        collector = Collector.from_settings(load_settings(config, environ={}))
        collector.publishers = []
        for minute in LIVE:
            clock["now"] = minute + timedelta(seconds=5)
            run_cycle(collector, clock["now"])
        clock["now"] = NOW
        before = set(location.minute_slice_names(location.table_dir("options", day, "NIFTY")))
        command = None
        try:
            with exclusive_lock(location.partition_lock_file(day, "NIFTY").path, timeout=0):
                command = Watched(g6_command("repair", "--day", day.isoformat(), "--index", "NIFTY"), _env(config))
                code, tree = _stop(command, signum, f"waiting for the writer lock of NIFTY {day.isoformat()}")
            _assert_stopped(command, code, tree, signum, "repair")
        finally:
            if command is not None:
                command.kill()
    _assert_locks_free(tmp_path / "data")
    assert set(location.minute_slice_names(location.table_dir("options", day, "NIFTY"))) == before
