"""Close-of-day history from the exchanges' F&O bhavcopy: every (day, index) of the files priced, written and
sealed like any stored day, and every file checked.

Each (day, index) becomes one closing minute (15:29 IST) on the collected schema with `source = bhavcopy`,
priced from the settlement prices (`analytics.close_of_day`), its IV rank read against the stored sessions
before it (so days imported in date order rank each other), written through the day-writing sinks (Parquet,
and classic CSV when enabled) and sealed by the one recipe (`history.seal.seal_trading_day`): it carries the
day checks and a seal record like a collected day.

What may be written is the backfill's rule (`history.backfill.refusal`), over what every store holds
(`storage.holdings`: Parquet, classic CSV, the Influx spool): a (day, index) holding collected data in any
store is refused, one holding only simulated data is kept unless a replacement is asked for. Besides: one
already holding this bhavcopy day is left alone (a second import changes nothing), and a day whose session has
not ended is refused (a bhavcopy is the close of an ended session). The day is priced outside any lock; under
its partition's writer lock (`storage.writer.partition_lock`) the decision is taken again, the day committed
and sealed from what was committed, as one block a stop signal does not cut (`util.stopping.deferred`): a
stopped import leaves each day written and sealed, or untouched.

A close-of-day day holds one minute by design. Its `completeness` check expects that one minute
(`quality.expected_minutes`), the seal does not try to refill the 374 minutes before it, and the weekday
master never folds it as a typical intraday day (`seal.fold_refusal`, `folding.fold_days`): it is history for
the IV rank and for study (by sessions to expiry), not a weekday's intraday shape.

Each file gets a `FileReport`: whether it reads (`readable`: a malformed file is named with its line) and
whether it holds every wanted index its exchange lists (`complete`), as the Dagster checks of the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import pandas as pd

from g6_pipeline.analytics.close_of_day import price_day
from g6_pipeline.analytics.iv_rank import IV_RANK_SESSIONS
from g6_pipeline.core.clock import now_ist
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.history.backfill import refusal, remove_simulated_day
from g6_pipeline.history.quality import CheckResult, DayCheck
from g6_pipeline.history.seal import SealedDay, seal_trading_day
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.providers.bhavcopy import SOURCE, BhavcopyDay, BhavcopyError
from g6_pipeline.providers.bhavcopy.chains import chain_days
from g6_pipeline.providers.bhavcopy.fetch import EXCHANGE_ARCHIVES
from g6_pipeline.providers.bhavcopy.layout import FILE_NAME, day_of_file_name, read_bhavcopy
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.daily_closes import DailyCloses
from g6_pipeline.storage.holdings import holdings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import CommittedDay, ParquetSink
from g6_pipeline.storage.writer import partition_lock
from g6_pipeline.util.stopping import deferred

log = logging.getLogger(__name__)

ImportOutcome = Literal["imported", "replaced", "already imported", "kept", "refused", "failed"]
WRITTEN: frozenset[str] = frozenset({"imported", "replaced"})
FILE_CHECKS: dict[str, DayCheck] = {
    "readable": DayCheck("The file reads as a UDiFF F&O bhavcopy: every kept row's values are valid "
                         "(a bad one is named with its line and column).", blocking=True),
    "complete": DayCheck("The file lists every wanted index its exchange trades, each with priced calls and "
                         "puts and the underlying's close.", blocking=True),
}
"""The checks of one bhavcopy file; a file failing `readable` imports nothing."""


@dataclass(frozen=True)
class DayImport:
    """What became of one (day, index) of a bhavcopy."""

    day: date
    index: str
    outcome: ImportOutcome
    rows: int = 0
    message: str = ""
    sealed: SealedDay | None = None
    """The seal of a day written now (or of one already imported that had not been sealed)."""

    def line(self) -> str:
        """`2026-01-05 NIFTY imported 84 rows` / `2026-01-05 NIFTY refused: holds collected data (...)`."""
        detail = f" {self.rows} rows" if self.outcome in WRITTEN else f": {self.message}"
        return f"{self.day.isoformat()} {self.index} {self.outcome}{detail}"


@dataclass(frozen=True)
class FileReport:
    """One bhavcopy file as read: its exchange and day, the wanted indices it lists or lacks, or why it failed."""

    path: Path
    exchange: str
    """NSE or BSE (from the archive name, else the rows' `Src`); '' when neither tells."""
    day: date | None
    """The trading day (from the archive name, else the rows'); None when neither tells."""
    rows: int = 0
    """Option rows of the wanted indices."""
    indices: tuple[str, ...] = ()
    """The wanted indices the file lists with a chain."""
    missing: tuple[str, ...] = ()
    """The wanted indices of the file's exchange it does not list (or lists with none of their configured
    expiries, said in brackets)."""
    error: str | None = None
    """Why the file could not be read (naming the file, and for a bad value its line and column)."""

    def checks(self) -> dict[str, CheckResult]:
        """The results of `FILE_CHECKS` for this file."""
        readable = CheckResult(self.error is None, 0.0 if self.error else 1.0,
                               self.error or f"{self.rows} option rows read", {"rows": self.rows})
        if self.error is not None:
            complete = CheckResult(False, 0.0, "not read: nothing to check", {"indices": 0, "missing": 0})
        else:
            found = ", ".join(self.indices) or "none"
            complete = CheckResult(
                not self.missing, float(len(self.indices)),
                f"lists {found}" + (f"; lacks {', '.join(self.missing)}" if self.missing else ""),
                {"indices": len(self.indices), "missing": len(self.missing)})
        return {"readable": readable, "complete": complete}


@dataclass
class ImportReport:
    """Every (day, index) outcome and every file's report of one import."""

    outcomes: list[DayImport] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Option rows written."""
        return sum(o.rows for o in self.outcomes)


def import_files(
    setup: ProcessSetup,
    files: Sequence[Path],
    names: Sequence[str],
    start: date | None = None,
    end: date | None = None,
    *,
    all_strikes: bool = False,
    replace_simulated: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every (day, index) of the wanted indices `names` in `files` (in the given order: by day), each
    filtered to [start, end]; `progress` hears one line per file. A malformed file is reported, not raised."""
    report = ImportReport()
    closes = DailyCloses(setup.location)
    for path in files:
        try:
            days, file_report = read_file(setup, path, names, start, end, all_strikes)
        except BhavcopyError as exc:
            report.files.append(FileReport(path, _exchange_of(path, None), day_of_file_name(path.name),
                                           error=str(exc)))
            if progress is not None:
                progress(f"{path.name}: not read")
            continue
        report.files.append(file_report)
        for chain in days:
            report.outcomes.append(import_day(setup, chain, closes, replace_simulated=replace_simulated))
        if progress is not None:
            progress(f"{path.name}: {len(days)} day×index")
    return report


def read_file(
    setup: ProcessSetup, path: Path, names: Sequence[str], start: date | None, end: date | None, all_strikes: bool
) -> tuple[list[BhavcopyDay], FileReport]:
    """The chains of the wanted indices in one file, each with its configured expiry tags and strike window, and
    the file's report. Raises `BhavcopyError` for a malformed file."""
    rows = read_bhavcopy(path, start, end, names)
    days: list[BhavcopyDay] = []
    for name, group in rows.groupby("underlying", sort=True):
        config = setup.settings.indices[str(name)]
        window = None if all_strikes else (config.strikes_below, config.strikes_above)
        days.extend(chain_days(group, str(path), config.expiry_tags, window))
    exchange = _exchange_of(path, rows)
    listed = sorted({d.underlying for d in days})
    wanted = [n for n in names
              if EXCHANGE_ARCHIVES.get(setup.settings.indices[n].exchange) == exchange]
    found_days = sorted(set(rows["day"]))
    day = day_of_file_name(path.name) or (found_days[0] if len(found_days) == 1 else None)
    present = set(rows["underlying"])
    missing = tuple(n if n not in present else f"{n} (no contract of {', '.join(setup.settings.indices[n].expiry_tags)})"
                    for n in wanted if n not in listed)
    report = FileReport(path, exchange, day, rows=len(rows), indices=tuple(listed), missing=missing)
    return sorted(days, key=lambda d: (d.day, d.underlying)), report


def _exchange_of(path: Path, rows: pd.DataFrame | None) -> str:
    """NSE or BSE: the archive name's, else the one `Src` of the rows ('' when neither tells)."""
    match = FILE_NAME.match(path.name)
    if match is not None:
        return match[1].upper()
    sources = set(rows["exchange"]) - {""} if rows is not None and len(rows) else set()
    return str(sources.pop()) if len(sources) == 1 else ""


def session_ended(setup: ProcessSetup, day: date, now: datetime) -> bool:
    """Whether `day`'s session has closed by `now` (a day the calendar lists no session for: at its close time)."""
    session = setup.calendar.session(day)
    end = session.end if session is not None else datetime.combine(day, setup.calendar.close_time, now.tzinfo)
    return now >= end


def import_refusal(
    location: DataLocation, day: date, index: str, replace_simulated: bool, ended: bool
) -> DayImport | None:
    """Why a bhavcopy (day, index) is not written, or None when it may be (see the module docstring)."""
    if not ended:
        return DayImport(day, index, "refused", message="its session has not ended: a bhavcopy is the close of an "
                                                         "ended session")
    held = holdings(location, day, index)
    if held.sources == {SOURCE}:
        return DayImport(day, index, "already imported", message="holds this bhavcopy day; left alone")
    # the date rule is the import's own (above): the backfill's is given a day it always passes
    refused = refusal(location, day, index, replace=replace_simulated, today=day + timedelta(days=1))
    if refused is None:
        return None
    if refused.outcome == "kept":
        return DayImport(day, index, "kept", message=f"holds simulated data ({held.describe()}); "
                                                      "--replace-simulated replaces it")
    return DayImport(day, index, "refused", message=refused.message)


def import_day(
    setup: ProcessSetup, chain: BhavcopyDay, closes: DailyCloses, *, replace_simulated: bool = False,
    now: datetime | None = None,
) -> DayImport:
    """Price, write and seal one (day, index) unless it must be left alone (see the module docstring); a
    failure is an outcome, not an exception. The day is priced first, with no lock held; the check, the commit
    and the seal are one block under the partition's lock that a stop signal does not cut."""
    location, settings = setup.location, setup.settings
    day, index = chain.day, chain.underlying
    ended = session_ended(setup, day, now or now_ist())
    try:
        refused = import_refusal(location, day, index, replace_simulated, ended)
        if refused is not None:
            return _sealed_if_unsealed(setup, refused)
        history = closes.history(index, day, IV_RANK_SESSIONS)
        priced = price_day(chain, settings.analytics.risk_free_rate, history, settings.analytics.iv_rank_min_sessions)
        with partition_lock(location, day, index), deferred():  # a stop may end the wait, not the commit
            refused = import_refusal(location, day, index, replace_simulated, ended)
            if refused is not None:
                return _sealed_if_unsealed(setup, refused)
            replacing = not holdings(location, day, index).empty
            if replacing:
                remove_simulated_day(location, day, index)
            committed = _commit(setup, priced)
            sealed = seal_trading_day(setup, day, index, committed=committed)
    except Exception as exc:  # one bad day must not stop the others
        log.exception("bhavcopy import of %s on %s failed", index, day)
        return DayImport(day, index, "failed", message=f"{type(exc).__name__}: {exc}")
    rows = committed.options.num_rows if committed is not None else 0
    return DayImport(day, index, "replaced" if replacing else "imported", rows=rows, sealed=sealed)


def _commit(setup: ProcessSetup, priced: EnrichedChain) -> CommittedDay | None:
    """Write one priced (day, index) through the day-writing sinks; the Parquet tables as committed (None when
    the Parquet sink is not configured). The caller holds the partition's lock."""
    committed = None
    for sink in setup.sinks:
        if isinstance(sink, ParquetSink):
            committed = sink.commit_chains([priced])
        elif isinstance(sink, ClassicCsvSink):
            sink.write_day([priced])
    return committed


def _sealed_if_unsealed(setup: ProcessSetup, outcome: DayImport) -> DayImport:
    """An already imported day whose seal record is missing (an import stopped before its seal) is sealed now,
    under its partition's lock."""
    location = setup.location
    if outcome.outcome != "already imported" or location.exists(location.seal_record_file(outcome.index,
                                                                                          outcome.day)):
        return outcome
    with partition_lock(location, outcome.day, outcome.index), deferred():
        sealed = seal_trading_day(setup, outcome.day, outcome.index)
    return DayImport(outcome.day, outcome.index, outcome.outcome, message=f"{outcome.message}; sealed now",
                     sealed=sealed)
