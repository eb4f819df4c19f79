"""The weekday master is kept as running state: a new day is folded from its own aggregate, and whatever else
changes the folded days (a day out of order, a replaced or refused day, another α, a lost state, a fold that
did not finish, another fold committing meanwhile) gives the same bytes as folding every day afresh."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.history.weekday_master import update_range, update_weekday_master
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, ParquetSink
from g6_pipeline.storage.reader import read_weekday_master
from g6_pipeline.storage.writer import WAITING, state_lock
from g6_pipeline_tests.fakes.chains import make_chain, minute

MONDAYS = [date(2026, 11, 2) + timedelta(weeks=k) for k in range(5)]


def _store(location: DataLocation, day: date, shift: float = 0.0) -> None:
    """A day whose keys and values differ from Monday to Monday: more minutes, a wider window, a missing leg."""
    k = MONDAYS.index(day)
    drop = (("this_week", 0, "PE"),) if k % 2 else ()
    chains = [
        make_chain("NIFTY", minute(day, hhmm), spot=24_000.0 + 40 * k + 3 * i + shift, sigma=0.12 + 0.01 * k,
                   half_width=2 + k % 2, drop=drop)
        for i, hhmm in enumerate(("0915", "0916", "0917")[: 2 + k % 2])
    ]
    ParquetSink(location).write_day(chains)


def _masters(location: DataLocation) -> dict[str, bytes]:
    root = location.weekday_master_root().path
    return {
        os.path.relpath(os.path.join(folder, n), root): Path(folder, n).read_bytes()
        for folder, _, names in os.walk(root)
        for n in names
        if n.endswith(".csv")
    }


def _afresh(tmp_path: Path, calendar: MarketCalendar, days: list[date], alpha: float = 0.5,
            shifted: dict[date, float] | None = None) -> dict[str, bytes]:
    """The master files of `days` folded at once into a new data directory (the reference)."""
    fresh = DataLocation(tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}")
    for day in days:
        _store(fresh, day, (shifted or {}).get(day, 0.0))
    update_range(fresh, days, "NIFTY", alpha, calendar)
    return _masters(fresh)


def _state(location: DataLocation) -> Path:
    return Path(location.weekday_state_file("NIFTY", "MONDAY").path)


def test_a_new_day_is_folded_from_its_own_aggregate(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path
) -> None:
    for day in MONDAYS:
        _store(location, day)
    for day in MONDAYS[:3]:
        update_weekday_master(location, day, "NIFTY", 0.5, calendar)
    # The earlier days' sealed files are not read again: breaking one does not touch the fold of a new day.
    sealed = Path(location.sealed_file(OPTIONS, MONDAYS[0], "NIFTY").path)
    intact = sealed.read_bytes()
    sealed.write_bytes(b"not parquet")
    report = update_weekday_master(location, MONDAYS[3], "NIFTY", 0.5, calendar)
    assert report.ok and report.days_folded == tuple(MONDAYS[:4])
    assert _masters(location) == _afresh(tmp_path, calendar, MONDAYS[:4])
    sealed.write_bytes(intact)
    row = read_weekday_master(location, "NIFTY", "this_week", 0, "monday").iloc[0]
    assert row["counter"] == 4


def test_an_out_of_order_day_gives_the_files_of_a_fold_in_date_order(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path
) -> None:
    for day in MONDAYS:
        _store(location, day)
    for day in (MONDAYS[1], MONDAYS[3], MONDAYS[0]):  # the last one is earlier than every folded day
        update_weekday_master(location, day, "NIFTY", 0.5, calendar)
    assert _masters(location) == _afresh(tmp_path, calendar, [MONDAYS[0], MONDAYS[1], MONDAYS[3]])
    update_range(location, [MONDAYS[4], MONDAYS[2]], "NIFTY", 0.5, calendar)  # one in order, one not
    assert _masters(location) == _afresh(tmp_path, calendar, MONDAYS)
    update_weekday_master(location, MONDAYS[4], "NIFTY", 0.5, calendar)
    assert _masters(location) == _afresh(tmp_path, calendar, MONDAYS)


@pytest.mark.parametrize("replaced", [1, 2], ids=["an earlier day", "the latest day"])
def test_a_replaced_day_gives_the_files_of_its_new_content(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path, replaced: int
) -> None:
    days = MONDAYS[:3]
    for day in days:
        _store(location, day)
    update_range(location, days, "NIFTY", 0.5, calendar)
    before = _masters(location)
    state = _state(location).read_bytes()
    update_weekday_master(location, days[replaced], "NIFTY", 0.5, calendar)  # the same content again
    assert _masters(location) == before and _state(location).read_bytes() == state

    _store(location, days[replaced], shift=25.0)
    update_weekday_master(location, days[replaced], "NIFTY", 0.5, calendar)
    after = _masters(location)
    assert after != before
    assert after == _afresh(tmp_path, calendar, days, shifted={days[replaced]: 25.0})


def test_a_folded_day_refused_when_folded_again_leaves_the_master(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path
) -> None:
    days = MONDAYS[:3]
    for day in days:
        _store(location, day)
    update_range(location, days, "NIFTY", 0.5, calendar)
    record = {"checks": {"completeness": {"passed": False, "blocking": True, "description": "3 of 375 minutes"}}}
    seal_record = Path(location.seal_record_file("NIFTY", days[1]).path)
    seal_record.parent.mkdir(parents=True, exist_ok=True)
    seal_record.write_text(json.dumps(record))
    report = update_weekday_master(location, days[1], "NIFTY", 0.5, calendar)
    assert not report.ok and "completeness: 3 of 375 minutes" in report.issues[0].message
    assert report.days_folded == (days[0], days[2])
    assert _masters(location) == _afresh(tmp_path, calendar, [days[0], days[2]])


def test_another_alpha_or_a_lost_state_folds_every_day_again(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path
) -> None:
    for day in MONDAYS[:3]:
        _store(location, day)
        update_weekday_master(location, day, "NIFTY", 0.5, calendar)
    update_weekday_master(location, MONDAYS[1], "NIFTY", 0.3, calendar)
    assert _masters(location) == _afresh(tmp_path, calendar, MONDAYS[:3], alpha=0.3)

    _state(location).write_bytes(b"truncated")
    _store(location, MONDAYS[3])
    report = update_weekday_master(location, MONDAYS[3], "NIFTY", 0.3, calendar)
    assert report.days_folded == tuple(MONDAYS[:4])
    assert _masters(location) == _afresh(tmp_path, calendar, MONDAYS[:4], alpha=0.3)


@pytest.mark.parametrize("next_day", [2, 3], ids=["the same day again", "the next day"])
def test_a_fold_cut_between_the_master_files_and_the_state_never_counts_a_day_twice(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path, next_day: int
) -> None:
    for day in MONDAYS[:4]:
        _store(location, day)
    update_range(location, MONDAYS[:2], "NIFTY", 0.5, calendar)
    kept = tmp_path / "state-before"
    shutil.copy(_state(location), kept)
    update_weekday_master(location, MONDAYS[2], "NIFTY", 0.5, calendar)
    shutil.copy(kept, _state(location))  # as a crash leaves it: the master files hold the day, the state not
    update_weekday_master(location, MONDAYS[next_day], "NIFTY", 0.5, calendar)
    assert _masters(location) == _afresh(tmp_path, calendar, MONDAYS[: next_day + 1])
    assert read_weekday_master(location, "NIFTY", "this_week", 0, "monday").iloc[0]["counter"] == next_day + 1


def test_a_fold_committed_meanwhile_is_not_lost(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for day in MONDAYS[:3]:
        _store(location, day)
    update_weekday_master(location, MONDAYS[0], "NIFTY", 0.5, calendar)
    waiting, failures = threading.Event(), []

    class Notice(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith(WAITING.split("%s")[0]):  # masking may have formatted the message
                waiting.set()

    notice = Notice()
    writer_log = logging.getLogger("g6_pipeline.storage.writer")
    writer_log.addHandler(notice)
    caplog.set_level(logging.WARNING, logger=writer_log.name)

    def fold_latest() -> None:
        try:
            update_weekday_master(location, MONDAYS[2], "NIFTY", 0.5, calendar)
        except Exception as exc:  # reported by the assertion below
            failures.append(exc)

    try:
        with state_lock(location, location.weekday_state_file("NIFTY", "MONDAY")):
            latest = threading.Thread(target=fold_latest)
            latest.start()  # reads the state of one day, then waits for the lock to commit
            assert waiting.wait(timeout=120), failures
            update_weekday_master(location, MONDAYS[1], "NIFTY", 0.5, calendar)  # commits first
        latest.join(timeout=120)
    finally:
        writer_log.removeHandler(notice)
    assert not latest.is_alive() and not failures
    assert _masters(location) == _afresh(tmp_path, calendar, MONDAYS[:3])
