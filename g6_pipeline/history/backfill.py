"""Whole synthetic trading days, generated as one block, written through the same analytics and writers, and
sealed by the same recipe as a collected day (`history.seal.seal_trading_day`).

This is how a new user gets a month of history (and a weekday master) in minutes, with no account: the
synthetic market produces a past day vectorised, not as 375 one-minute cycles.

Nothing here overwrites collected data: simulated data is generated only into a past (day, index) with no
stored minute. A day holding any collected (non-simulated) minute is refused, a day holding only simulated
data is kept unless a replacement is asked for, and today or a later day is refused. A generated day is the
day the minute cycle would have collected: its first minute is enriched before the day's open is known,
every later minute against that open, so running the same backfill twice writes the same bytes.
"""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing import get_context
from typing import Any, Literal

import pyarrow.compute as pc

from g6_pipeline.analytics import enrich_many
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.core.clock import now_ist
from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.core.snapshot import ChainSnapshot, EnrichedChain
from g6_pipeline.history.seal import SealedDay, seal_trading_day
from g6_pipeline.history.weekday_master import WeekdayMasterReport, family_of_provider, update_range
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.providers.factory import synthetic_market
from g6_pipeline.settings import LoadedSettings, Settings
from g6_pipeline.settings.model import AnalyticsSettings
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.location import SEALED_NAME, DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, ParquetSink, read_table, read_tables
from g6_pipeline.storage.writer import writes_data

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


def stored_minutes(location: DataLocation, day: date, index: str) -> dict[str, int]:
    """Minutes stored per source for (day, index): the sealed file and any minute slices (old rows: 'unknown')."""
    folder = location.table_dir(OPTIONS, day, index)
    names = location.list_names(folder)
    paths = [folder / n for n in location.minute_slice_names(folder)]
    if SEALED_NAME in names:
        paths.append(folder / SEALED_NAME)
    elif not paths:
        raw = location.raw_dir(OPTIONS, day, index)
        paths = [raw / n for n in location.minute_slice_names(raw)]
    if not paths:
        return {}
    wanted = ["timestamp", "source"]
    table = read_table(location, paths[0], wanted) if len(paths) == 1 else read_tables(location, paths, wanted)
    table = table.set_column(1, "source", pc.fill_null(table.column("source"), "unknown"))
    minutes = table.group_by("source").aggregate([("timestamp", "count_distinct")])
    return dict(zip(minutes.column("source").to_pylist(), minutes.column(1).to_pylist(), strict=True))


def describe_stored(stored: dict[str, int]) -> str:
    """'375 minutes of kite' / '12 minutes of kite, 3 of synthetic'."""
    ordered = sorted(stored.items(), key=lambda kv: (-kv[1], kv[0]))
    (source, count), rest = ordered[0], ordered[1:]
    return ", ".join([f"{count} minutes of {source}", *[f"{n} of {s}" for s, n in rest]])


def refusal(location: DataLocation, day: date, index: str, *, replace: bool, today: date) -> DayOutcome | None:
    """Why simulated data must not go into (day, index), as an outcome; None when it may be generated."""
    if day >= today:
        return DayOutcome(day, index, "refused", message="today or a later day is still being collected "
                                                          "or cannot exist; only past days are generated")
    stored = stored_minutes(location, day, index)
    if not stored:
        return None
    held = describe_stored(stored)
    if any(source not in SIMULATED_SOURCES for source in stored):
        return DayOutcome(day, index, "refused", message=f"holds collected data ({held}); never overwritten")
    if not replace:
        return DayOutcome(day, index, "kept", message=f"holds simulated data ({held}); --replace regenerates it")
    return None


def remove_simulated_day(location: DataLocation, day: date, index: str) -> None:
    """Delete the stored files of a (day, index) that holds only simulated data, before it is regenerated."""
    stored = stored_minutes(location, day, index)
    if any(source not in SIMULATED_SOURCES for source in stored):
        raise BackfillRefusedError(f"{day.isoformat()} {index}: holds collected data ({describe_stored(stored)})")
    for table_name in (OPTIONS, OVERVIEW):
        for folder in (location.table_dir(table_name, day, index), location.raw_dir(table_name, day, index)):
            for name in location.minute_slice_names(folder):
                location.remove(folder / name)
        if location.exists(location.sealed_file(table_name, day, index)):
            location.remove(location.sealed_file(table_name, day, index))
    series_root = location.classic_csv(index, "tag", 0, day).parent.parent.parent
    for tag in location.list_names(series_root):
        for offset in location.list_names(series_root / tag):
            path = series_root / tag / offset / f"{day.isoformat()}.csv"
            if location.exists(path):
                location.remove(path)
    for path in (location.overview_csv(index, day), location.reference_file(index, day)):
        if location.exists(path):
            location.remove(path)


@writes_data
def generate_synthetic_day(setup: ProcessSetup, day: date, indices: Iterable[str] | None = None) -> int:
    """Generate, enrich and write one synthetic trading day through the day-writing sinks; return the option rows.

    Raises `BackfillRefusedError` for an index whose day is today or later or already holds stored data.
    """
    settings = setup.settings
    names = list(indices) if indices is not None else list(settings.enabled_indices)
    today = now_ist().date()
    for name in names:
        refused = refusal(setup.location, day, name, replace=False, today=today)
        if refused is not None:
            raise BackfillRefusedError(refused.line())
    chosen = {name: settings.indices[name] for name in names}
    market = synthetic_market(settings, setup.calendar)
    references = ReferenceCache(setup.location, setup.calendar)
    writers = [sink for sink in setup.sinks if isinstance(sink, ParquetSink | ClassicCsvSink)]
    rows = 0
    for name, snapshots in market.day_snapshots(chosen, day).items():
        if not snapshots:
            continue
        chains = _enrich_day(references, name, day, snapshots, settings.analytics)
        for writer in writers:
            written, _ = writer.write_day(chains)
            if isinstance(writer, ParquetSink):
                rows += written
    return rows


def _enrich_day(
    references: ReferenceCache, name: str, day: date, snapshots: list[ChainSnapshot], analytics: AnalyticsSettings
) -> list[EnrichedChain]:
    """Enrich a day as the minute cycle does: the first minute before the day's open is known, then the rest."""
    expiries = snapshots[0].expiries
    closes = references.iv_closes(name, day)
    rate, min_sessions = analytics.risk_free_rate, analytics.iv_rank_min_sessions
    base = references.previous_close(name, day)
    first = enrich_many(snapshots[:1], rate, {name: replace(base.resolve(expiries), atm_iv_closes=closes)},
                        min_sessions)
    opened = base.opened_at(first[0].overview)
    references.keep(name, day, opened)
    rest = (enrich_many(snapshots[1:], rate, {name: replace(opened.resolve(expiries), atm_iv_closes=closes)},
                        min_sessions) if len(snapshots) > 1 else [])
    return [*first, *rest]


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
    one per core, at most two), each building its own setup; days run in order within each. `fold="written"`
    leaves the weekday master of days this run did not write untouched (a refused day's files stay byte for
    byte as they were).
    """
    ordered = sorted(set(days))
    notify = progress or (lambda _outcome: None)
    count = workers or min(2, os.cpu_count() or 1)
    groups = _balanced(list(indices), setup.settings, count)
    if len(groups) <= 1:
        return _history_of(setup, ordered, list(indices), generate, notify, fold)
    outcomes: list[DayOutcome] = []
    reports: dict[str, list[WeekdayMasterReport]] = {}
    context = get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(len(groups), mp_context=context) as pool:
        events: Any = manager.Queue()
        futures = [pool.submit(_history_worker, setup.loaded, ordered, g, generate, events, fold) for g in groups]
        _relay(events, futures, notify)
        for future in futures:
            group_outcomes, group_reports = future.result()
            outcomes.extend(group_outcomes)
            reports.update(group_reports)
    return outcomes, {name: reports[name] for name in indices}


def _relay(events: Any, futures: list[Future[Any]], notify: Progress) -> None:
    """Hand the workers' outcomes to `notify` as they arrive, until every worker is done."""
    while True:
        try:
            notify(events.get(timeout=0.2))
        except queue.Empty:
            if all(f.done() for f in futures):
                break
    while not events.empty():
        notify(events.get())


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
    loaded: LoadedSettings, days: list[date], indices: list[str], generate: GenerateMode, events: Any,
    fold: FoldMode,
) -> tuple[list[DayOutcome], dict[str, list[WeekdayMasterReport]]]:
    """`_history_of` in a worker process, on the setup it builds for itself, reporting through `events`."""
    return _history_of(ProcessSetup.load(loaded), days, indices, generate, events.put, fold)


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
                outcome = _sealed(setup, _backfill_one(setup, day, name, generate == "replace", today))
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
                outcome = _sealed(setup, DayOutcome(day, name, "sealed"))
                outcomes.append(outcome)
                notify(outcome)
    return outcomes, {
        name: update_range(setup.location, folded[name], name, alpha, setup.calendar, family=family) if folded[name]
        else [] for name in indices
    }


@writes_data
def _backfill_one(setup: ProcessSetup, day: date, name: str, replace: bool, today: date) -> DayOutcome:
    """Generate one (day, index) unless it must be kept or refused; a failure is an outcome, not an exception."""
    location = setup.location
    try:
        refused = refusal(location, day, name, replace=replace, today=today)
        if refused is not None:
            return refused
        replacing = bool(stored_minutes(location, day, name))
        if replacing:
            remove_simulated_day(location, day, name)
        rows = generate_synthetic_day(setup, day, [name])
    except Exception as exc:
        log.exception("backfill of %s on %s failed", name, day)
        return DayOutcome(day, name, "failed", message=f"{type(exc).__name__}: {exc}")
    log.info("generated synthetic %s for %s", day, name)
    return DayOutcome(day, name, "replaced" if replacing else "generated", rows=rows)


def _sealed(setup: ProcessSetup, outcome: DayOutcome) -> DayOutcome:
    """A written day sealed by the recipe (its checks run, its metrics pushed); a failed seal is an outcome."""
    if outcome.outcome not in (*WRITTEN, "sealed"):
        return outcome
    try:
        return replace(outcome, sealed=seal_trading_day(setup, outcome.day, outcome.index))
    except Exception as exc:
        log.exception("sealing %s on %s failed", outcome.index, outcome.day)
        return replace(outcome, outcome="failed", message=f"written but not sealed: {type(exc).__name__}: {exc}")


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
) -> BackfillReport:
    """Generate every trading day in [start, end] that may receive simulated data, then fold the weekday master."""
    names = list(indices) if indices else list(setup.settings.enabled_indices)
    report = BackfillReport(days=setup.calendar.trading_days(start, end))
    mode: GenerateMode = "replace" if replace else "missing"
    report.outcomes, report.weekday_master = build_history(
        setup, report.days, names, mode, progress=progress, fold="written"
    )
    report.rows = sum(o.rows for o in report.outcomes)
    return report
