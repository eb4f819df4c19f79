"""Whole synthetic trading days, generated as one block, written through the same analytics and writers, and
sealed by the same recipe as a collected day (`history.seal.seal_trading_day`).

This is how a new user gets a month of history (and a weekday master) in minutes, with no account: the
synthetic market produces a past day vectorised, not as 375 one-minute cycles.

Nothing here overwrites collected data: simulated data is generated only into a past (day, index) that no
store holds anything of (`storage.holdings`: Parquet, classic CSV, Influx spool). A day holding anything
collected, or whose source cannot be told, is refused; a day holding only simulated data is kept unless a
replacement is asked for; today or a later day is refused. A day is generated and enriched in memory, then
checked again and committed under its partition's writer lock, held for the commit only (`storage.writer`). A generated day is the
day the minute cycle would have collected: its first minute is enriched before the day's open is known,
every later minute against that open, so running the same backfill twice writes the same bytes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import pandas as pd

from g6_pipeline.analytics import enrich_many
from g6_pipeline.collection.reference import DayReference, ReferenceCache
from g6_pipeline.core.clock import now_ist
from g6_pipeline.core.snapshot import ChainSnapshot, EnrichedChain
from g6_pipeline.history.dte_master import fold_dte_days
from g6_pipeline.history.seal import SealedDay, seal_trading_day
from g6_pipeline.history.weekday_master import WeekdayMasterReport, family_of_provider, update_range
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.providers.factory import synthetic_market
from g6_pipeline.settings import LoadedSettings, Settings
from g6_pipeline.settings.model import AnalyticsSettings
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.holdings import csv_files, holdings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, CommittedDay, ParquetSink
from g6_pipeline.storage.writer import partition_lock
from g6_pipeline.util.stopping import deferred
from g6_pipeline.util.workers import run_workers

log = logging.getLogger(__name__)

GenerateMode = Literal["missing", "replace", "none"]
"""Generate days with nothing stored; also regenerate days holding only simulated data; generate nothing."""
Outcome = Literal["generated", "replaced", "sealed", "kept", "refused", "failed"]
"""What became of a (day, index): generated or regenerated (and sealed), a stored day sealed before its fold,
kept as stored, refused, or failed."""
FoldMode = Literal["all", "written"]
"""Fold every day into the weekday master, or only the (day, index) pairs this run wrote."""
WRITTEN: frozenset[str] = frozenset({"generated", "replaced"})


class BackfillRefusedError(RuntimeError):
    """Simulated data was asked for a (day, index) that must not receive it."""


class NothingStoredError(RuntimeError):
    """A (day, index) has no stored data to seal, and the provider cannot make it."""


@dataclass(frozen=True)
class DayOutcome:
    """What the backfill did with one (day, index)."""

    day: date
    index: str
    outcome: Outcome
    rows: int = 0
    message: str = ""
    sealed: SealedDay | None = None
    """The seal of a day this run wrote: its reports and check results."""
    committed: CommittedDay | None = None
    """The Parquet tables of a day just written, until it is sealed."""

    def line(self) -> str:
        """One line for people: the day, the index, what happened."""
        text = f"{self.day.isoformat()} {self.index}: {self.outcome}"
        return f"{text} ({self.rows:,} option rows)" if not self.message else f"{text}: {self.message}"


Progress = Callable[[DayOutcome], None]


@dataclass
class BackfillReport:
    """What a backfill wrote."""

    days: list[date] = field(default_factory=list)
    rows: int = 0
    outcomes: list[DayOutcome] = field(default_factory=list)
    weekday_master: dict[str, list[WeekdayMasterReport]] = field(default_factory=dict)


def refusal(location: DataLocation, day: date, index: str, *, replace: bool, today: date) -> DayOutcome | None:
    """Why simulated data must not go into (day, index), as an outcome; None when it may be generated.

    What every store holds counts (`storage.holdings`): Parquet, classic CSV and the Influx spool.
    """
    if day >= today:
        return DayOutcome(day, index, "refused", message="today or a later day is still being collected "
                                                          "or cannot exist; only past days are generated")
    held = holdings(location, day, index)
    if held.empty:
        return None
    if held.collected:
        return DayOutcome(day, index, "refused", message=f"holds collected data ({held.describe()}); never overwritten")
    if not replace:
        return DayOutcome(day, index, "kept",
                          message=f"holds simulated data ({held.describe()}); --replace regenerates it")
    return None


def remove_simulated_day(location: DataLocation, day: date, index: str) -> None:
    """Delete the stored files of a (day, index) that holds only simulated data, before it is regenerated.

    The caller holds the partition's writer lock.
    """
    held = holdings(location, day, index)
    if held.collected:
        raise BackfillRefusedError(f"{day.isoformat()} {index}: holds collected data ({held.describe()})")
    for table_name in (OPTIONS, OVERVIEW):
        for folder in (location.table_dir(table_name, day, index), location.raw_dir(table_name, day, index)):
            for name in location.minute_slice_names(folder):
                location.remove(folder / name)
        for path in (location.sealed_file(table_name, day, index), location.staged_file(table_name, day, index)):
            location.remove(path)
    for path in (*csv_files(location, day, index), location.reference_file(index, day)):
        location.remove(path)


@dataclass(frozen=True)
class PreparedDay:
    """One synthetic (day, index) generated and enriched in memory, ready to be committed."""

    day: date
    index: str
    chains: list[EnrichedChain]
    reference: DayReference
    """The day's session reference (its open), kept with the day."""

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The day's option rows and overview rows as one frame each (built once for every writer)."""
        options = pd.concat([c.options for c in self.chains], ignore_index=True)
        return options, pd.DataFrame([c.overview for c in self.chains])


def prepare_synthetic_day(setup: ProcessSetup, day: date, index: str) -> PreparedDay | None:
    """Generate and enrich one synthetic (day, index) in memory, writing nothing (None: no session that day)."""
    settings = setup.settings
    market = synthetic_market(settings, setup.calendar)
    references = ReferenceCache(setup.location, setup.calendar)
    snapshots = market.day_snapshots({index: settings.indices[index]}, day).get(index)
    if not snapshots:
        return None
    chains, reference = _enrich_day(references, index, day, snapshots, settings.analytics)
    return PreparedDay(day, index, chains, reference)


def commit_synthetic_day(setup: ProcessSetup, prepared: PreparedDay, *, replace: bool, today: date) -> DayOutcome:
    """Write a prepared day through the day-writing sinks, holding the partition's lock only for this commit.

    Under the lock the day is checked again (collected data may have arrived since it was prepared): a day
    that must not receive it is returned as refused or kept, untouched. Returns the outcome with the committed,
    verified Parquet tables in `committed`.
    """
    location, day, index = setup.location, prepared.day, prepared.index
    with partition_lock(location, day, index):
        refused = refusal(location, day, index, replace=replace, today=today)
        if refused is not None:
            return refused
        replacing = not holdings(location, day, index).empty
        if replacing:
            remove_simulated_day(location, day, index)
        committed = None
        options, overview = prepared.frames()
        for writer in setup.sinks:
            if isinstance(writer, ParquetSink):
                committed = writer.commit_day_frames(options, overview)
            elif isinstance(writer, ClassicCsvSink):
                writer.write_day_frames(options, overview)
        ReferenceCache(location, setup.calendar).keep(index, day, prepared.reference)
    rows = committed.options.num_rows if committed is not None else 0
    return DayOutcome(day, index, "replaced" if replacing else "generated", rows=rows, committed=committed)


def generate_synthetic_day(setup: ProcessSetup, day: date, indices: Iterable[str] | None = None) -> int:
    """Generate, enrich and write one synthetic trading day through the day-writing sinks; return the option rows.

    Raises `BackfillRefusedError` for an index whose day is today or later or already holds stored data.
    """
    names = list(indices) if indices is not None else list(setup.settings.enabled_indices)
    today = now_ist().date()
    for name in names:
        refused = refusal(setup.location, day, name, replace=False, today=today)
        if refused is not None:
            raise BackfillRefusedError(refused.line())
    rows = 0
    for name in names:
        prepared = prepare_synthetic_day(setup, day, name)
        if prepared is None:
            continue
        outcome = commit_synthetic_day(setup, prepared, replace=False, today=today)
        if outcome.outcome not in WRITTEN:
            raise BackfillRefusedError(outcome.line())
        rows += outcome.rows
    return rows


def _enrich_day(
    references: ReferenceCache, name: str, day: date, snapshots: list[ChainSnapshot], analytics: AnalyticsSettings
) -> tuple[list[EnrichedChain], DayReference]:
    """Enrich a day as the minute cycle does: the first minute before the day's open is known, then the rest;
    with the day's reference once its open is known."""
    expiries = snapshots[0].expiries
    closes = references.iv_closes(name, day)
    rate, min_sessions = analytics.risk_free_rate, analytics.iv_rank_min_sessions
    base = references.previous_close(name, day)
    first = enrich_many(snapshots[:1], rate, {name: replace(base.resolve(expiries), atm_iv_closes=closes)},
                        min_sessions)
    opened = base.opened_at(first[0].overview)
    rest = (enrich_many(snapshots[1:], rate, {name: replace(opened.resolve(expiries), atm_iv_closes=closes)},
                        min_sessions) if len(snapshots) > 1 else [])
    return [*first, *rest], opened


def build_history(
    setup: ProcessSetup,
    days: Sequence[date],
    indices: Sequence[str],
    generate: GenerateMode = "missing",
    workers: int | None = None,
    progress: Progress | None = None,
    fold: FoldMode = "all",
) -> tuple[list[DayOutcome], dict[str, list[WeekdayMasterReport]]]:
    """Generate synthetic days (those with nothing stored, also simulated ones to replace, or none), then fold
    them into the weekday master; return every (day, index) outcome and the weekday-master reports per index.

    `progress` hears one `DayOutcome` per (day, index) as it is done. Indices are independent (each day's
    reference is the same index's previous day), so they are split across up to `workers` processes (default:
    one per core), each building its own setup; days run in order within each. Workers write different
    partitions and never wait for each other. `fold="written"` leaves the weekday master of days this run did
    not write untouched (a refused day's files stay byte for byte as they were). A stop signal lets each day
    being written finish (written and sealed) and stops the workers (`util.workers`).
    """
    ordered = sorted(set(days))
    notify = progress or (lambda _outcome: None)
    count = workers or os.cpu_count() or 1
    groups = _balanced(list(indices), setup.settings, count)
    if len(groups) <= 1:
        return _history_of(setup, ordered, list(indices), generate, notify, fold)
    tasks = [(setup.loaded, ordered, group, generate, fold) for group in groups]
    outcomes: list[DayOutcome] = []
    reports: dict[str, list[WeekdayMasterReport]] = {}
    for group_outcomes, group_reports in run_workers(_history_worker, tasks, notify):
        outcomes.extend(group_outcomes)
        reports.update(group_reports)
    return outcomes, {name: reports[name] for name in indices}


def _balanced(indices: list[str], settings: Settings, count: int) -> list[list[str]]:
    """Split indices into `count` groups of about equal work (expiry tags × strikes)."""
    configured = settings.indices
    weight = {
        n: len(configured[n].expiry_tags) * (configured[n].strikes_below + configured[n].strikes_above + 1)
        for n in indices
    }
    groups: list[list[str]] = [[] for _ in range(max(1, min(count, len(indices))))]
    loads = [0] * len(groups)
    for name in sorted(indices, key=lambda n: -weight[n]):
        lightest = loads.index(min(loads))
        groups[lightest].append(name)
        loads[lightest] += weight[name]
    return [g for g in groups if g]


def _history_worker(
    loaded: LoadedSettings, days: list[date], indices: list[str], generate: GenerateMode, fold: FoldMode,
    report: Progress,
) -> tuple[list[DayOutcome], dict[str, list[WeekdayMasterReport]]]:
    """`_history_of` in a worker process, on the setup it builds for itself, reporting through `report`."""
    return _history_of(ProcessSetup.load(loaded), days, indices, generate, report, fold)


def _history_of(
    setup: ProcessSetup,
    days: list[date],
    indices: list[str],
    generate: GenerateMode,
    notify: Progress,
    fold: FoldMode,
) -> tuple[list[DayOutcome], dict[str, list[WeekdayMasterReport]]]:
    outcomes: list[DayOutcome] = []
    if generate != "none":
        today = now_ist().date()
        for day in days:
            for name in indices:
                outcome = _backfill_one(setup, day, name, generate == "replace", today)
                outcomes.append(outcome)
                notify(outcome)
    alpha = setup.settings.analytics.weekday_master_alpha
    family = family_of_provider(setup.settings.analytics.weekday_master_sources, setup.settings.provider)
    written = {(o.day, o.index) for o in outcomes if o.outcome in WRITTEN}
    folded = {name: [d for d in days if fold == "all" or (d, name) in written] for name in indices}
    for name in indices:
        for day in folded[name]:
            unsealed = has_stored_day(setup.location, day, name) and not setup.location.exists(
                setup.location.sealed_file(OPTIONS, day, name))
            if unsealed:  # stored minute slices not sealed yet: the fold reads sealed days only
                with partition_lock(setup.location, day, name), deferred():
                    outcome = _sealed(setup, DayOutcome(day, name, "sealed"))
                outcomes.append(outcome)
                notify(outcome)
    reports = {
        name: update_range(setup.location, folded[name], name, alpha, setup.calendar, family=family) if folded[name]
        else [] for name in indices
    }
    for name in indices:
        folded_days = [r.day for r in reports[name] if r.days_folded and r.day in r.days_folded]
        fold_dte_days(setup.location, folded_days, name, setup.calendar, family=family)
    return outcomes, reports


def _backfill_one(setup: ProcessSetup, day: date, name: str, replace: bool, today: date) -> DayOutcome:
    """Generate one (day, index) unless it must be kept or refused; a failure is an outcome, not an exception.

    The day is prepared in memory first (nothing held); its commit and seal, under the day's lock, are one block
    a stop signal does not cut, so a stopped backfill leaves each day written and sealed, or untouched.
    """
    try:
        refused = refusal(setup.location, day, name, replace=replace, today=today)
        if refused is not None:
            return refused
        prepared = prepare_synthetic_day(setup, day, name)
        if prepared is None:
            return DayOutcome(day, name, "failed", message="the synthetic market has no session that day")
        with partition_lock(setup.location, day, name), deferred():  # a stop may end the wait, not the commit
            outcome = commit_synthetic_day(setup, prepared, replace=replace, today=today)
            outcome = _sealed(setup, outcome)
    except Exception as exc:
        log.exception("backfill of %s on %s failed", name, day)
        return DayOutcome(day, name, "failed", message=f"{type(exc).__name__}: {exc}")
    if outcome.outcome in WRITTEN:
        log.info("generated synthetic %s for %s", day, name)
    return outcome


def _sealed(setup: ProcessSetup, outcome: DayOutcome) -> DayOutcome:
    """A written day sealed by the recipe (its checks run, its metrics pushed); a failed seal is an outcome.

    A day this run committed is sealed from its committed tables, not read back again.
    """
    if outcome.outcome not in (*WRITTEN, "sealed"):
        return outcome
    try:
        sealed = seal_trading_day(setup, outcome.day, outcome.index, committed=outcome.committed)
        return replace(outcome, sealed=sealed, committed=None)
    except Exception as exc:
        log.exception("sealing %s on %s failed", outcome.index, outcome.day)
        return replace(outcome, outcome="failed", committed=None,
                       message=f"written but not sealed: {type(exc).__name__}: {exc}")


def prepare_day(setup: ProcessSetup, day: date, index: str) -> bool:
    """Make sure (day, index) has stored data to seal; returns whether it was generated now.

    With the synthetic provider a past day with nothing stored is generated whole; for the other providers
    (they collect live minutes only) a day with nothing stored raises `NothingStoredError`.
    """
    if has_stored_day(setup.location, day, index):
        return False
    provider = setup.settings.provider
    if provider != "synthetic":
        raise NothingStoredError(
            f"{index} {day:%a %Y-%m-%d}: no option data is stored for this day, and provider '{provider}' "
            "cannot generate it (it collects live minutes only; only the synthetic provider generates past "
            "days). Collect the day during its session."
        )
    generate_synthetic_day(setup, day, [index])
    return True


def has_stored_day(location: DataLocation, day: date, index: str) -> bool:
    """Whether any option data (minute slices or a sealed file) is stored for (day, index)."""
    if location.exists(location.sealed_file(OPTIONS, day, index)):
        return True
    return any(n.endswith(".parquet") for n in location.list_names(location.table_dir(OPTIONS, day, index)))


def backfill_synthetic(
    setup: ProcessSetup,
    start: date,
    end: date,
    indices: Sequence[str] | None = None,
    *,
    replace: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BackfillReport:
    """Generate every trading day in [start, end] that may receive simulated data, then fold the weekday master
    (in up to `workers` processes, default one per core)."""
    names = list(indices) if indices else list(setup.settings.enabled_indices)
    report = BackfillReport(days=setup.calendar.trading_days(start, end))
    mode: GenerateMode = "replace" if replace else "missing"
    report.outcomes, report.weekday_master = build_history(
        setup, report.days, names, mode, workers=workers, progress=progress, fold="written"
    )
    report.rows = sum(o.rows for o in report.outcomes)
    return report
