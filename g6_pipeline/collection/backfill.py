"""Whole synthetic trading days, generated as one block and written through the same analytics and writers.

This is how a new user gets a month of history (and a weekday master) in minutes, with no account: the
synthetic market produces a past day vectorised, not as 375 one-minute cycles.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from typing import Literal

from g6_pipeline.analytics import enrich_many
from g6_pipeline.collection.components import ProcessSetup
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.daily.weekday_master import WeekdayMasterReport, update_range
from g6_pipeline.providers.factory import synthetic_market
from g6_pipeline.settings import LoadedSettings, Settings
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, ParquetSink

log = logging.getLogger(__name__)


@dataclass
class BackfillReport:
    """What a backfill wrote."""

    days: list[date] = field(default_factory=list)
    rows: int = 0
    weekday_master: dict[str, str] = field(default_factory=dict)


def generate_synthetic_day(setup: ProcessSetup, day: date, indices: Iterable[str] | None = None) -> int:
    """Generate, enrich and write one synthetic trading day through the day-writing sinks; return the option rows."""
    settings = setup.settings
    names = list(indices) if indices is not None else list(settings.enabled_indices)
    chosen = {name: settings.indices[name] for name in names}  # type: ignore[index]
    market = synthetic_market(settings, setup.calendar)
    references = ReferenceCache(setup.location, setup.calendar)
    writers = [sink for sink in setup.sinks if isinstance(sink, ParquetSink | ClassicCsvSink)]
    rows = 0
    for name, snapshots in market.day_snapshots(chosen, day).items():
        if not snapshots:
            continue
        chains = enrich_many(
            snapshots, settings.analytics.risk_free_rate, {name: references.get(name, day)},
            settings.analytics.iv_rank_min_sessions,
        )
        for writer in writers:
            written, _ = writer.write_day(chains)
            if isinstance(writer, ParquetSink):
                rows += written
    return rows


GenerateMode = Literal["all", "missing", "none"]


def build_history(
    setup: ProcessSetup,
    days: Sequence[date],
    indices: Sequence[str],
    generate: GenerateMode = "all",
    workers: int | None = None,
) -> tuple[int, dict[str, list[WeekdayMasterReport]]]:
    """Generate synthetic days (all, only those with nothing stored, or none), then fold them into the
    weekday master; return (option rows written, weekday-master reports per index).

    Indices are independent (each day's reference is the same index's previous day), so they are split
    across up to `workers` processes (default: one per core, at most two), each building its own setup; days
    run in order within each.
    """
    ordered = sorted(set(days))
    count = workers or min(2, os.cpu_count() or 1)
    groups = _balanced(list(indices), setup.settings, count)
    if len(groups) <= 1:
        return _history_of(setup, ordered, list(indices), generate)
    rows = 0
    reports: dict[str, list[WeekdayMasterReport]] = {}
    with ProcessPoolExecutor(len(groups), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_history_worker, setup.loaded, ordered, group, generate) for group in groups]
        for future in futures:
            group_rows, group_reports = future.result()
            rows += group_rows
            reports.update(group_reports)
    return rows, {name: reports[name] for name in indices}


def _balanced(indices: list[str], settings: Settings, count: int) -> list[list[str]]:
    """Split indices into `count` groups of about equal work (expiry tags × strikes)."""
    configured = settings.indices
    weight = {
        n: len(configured[n].expiry_tags) * (configured[n].strikes_below + configured[n].strikes_above + 1)  # type: ignore[index]
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
    loaded: LoadedSettings, days: list[date], indices: list[str], generate: GenerateMode
) -> tuple[int, dict[str, list[WeekdayMasterReport]]]:
    """`_history_of` in a worker process, on the setup it builds for itself."""
    return _history_of(ProcessSetup.load(loaded), days, indices, generate)


def _history_of(
    setup: ProcessSetup, days: list[date], indices: list[str], generate: GenerateMode
) -> tuple[int, dict[str, list[WeekdayMasterReport]]]:
    location = setup.location
    rows = 0
    if generate != "none":
        for day in days:
            wanted = [n for n in indices if generate == "all" or not has_stored_day(location, day, n)]
            if wanted:
                rows += generate_synthetic_day(setup, day, wanted)
                log.info("generated synthetic %s for %s", day, ", ".join(wanted))
    alpha = setup.settings.analytics.weekday_master_alpha
    return rows, {name: update_range(location, days, name, alpha, setup.calendar) for name in indices}


def has_stored_day(location: DataLocation, day: date, index: str) -> bool:
    """Whether any option data (minute slices or a sealed file) is stored for (day, index)."""
    if location.exists(location.sealed_file(OPTIONS, day, index)):
        return True
    return any(n.endswith(".parquet") for n in location.list_names(location.table_dir(OPTIONS, day, index)))


def backfill_synthetic(
    setup: ProcessSetup, start: date, end: date, indices: Sequence[str] | None = None
) -> BackfillReport:
    """Generate every trading day in [start, end], then fold them into the weekday master."""
    names = list(indices) if indices else list(setup.settings.enabled_indices)
    report = BackfillReport(days=setup.calendar.trading_days(start, end))
    report.rows, reports = build_history(setup, report.days, names, generate="all")
    for name, results in reports.items():
        issues = sum(len(r.issues) for r in results)
        files = sum(r.files_written for r in results)
        report.weekday_master[name] = f"{len(results)} days folded, {files} files written, {issues} issues"
    return report
