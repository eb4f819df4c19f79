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
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.daily.weekday_master import WeekdayMasterReport, update_range
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import LoadedSettings
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


def generate_synthetic_day(loaded: LoadedSettings, day: date, indices: Iterable[str] | None = None) -> int:
    """Generate, enrich and write one synthetic trading day; return the option rows written."""
    settings = loaded.settings
    calendar = MarketCalendar.load(loaded.config_dir)
    location = DataLocation(settings.data_dir)
    names = list(indices) if indices is not None else list(settings.enabled_indices)
    chosen = {name: settings.indices[name] for name in names}  # type: ignore[index]
    market = SyntheticMarket(settings.synthetic.seed, calendar)
    references = ReferenceCache(location, calendar)
    parquet = ParquetSink(location, compression=settings.storage.parquet_compression)
    csv = ClassicCsvSink(location) if settings.storage.csv_enabled else None
    rows = 0
    for name, snapshots in market.day_snapshots(chosen, day).items():
        if not snapshots:
            continue
        chains = enrich_many(
            snapshots, settings.analytics.risk_free_rate, {name: references.get(name, day)},
            settings.analytics.iv_rank_min_sessions,
        )
        rows += parquet.write_day(chains)[0]
        if csv is not None:
            csv.write_day(chains)
    return rows


GenerateMode = Literal["all", "missing", "none"]


def build_history(
    loaded: LoadedSettings,
    days: Sequence[date],
    indices: Sequence[str],
    generate: GenerateMode = "all",
    workers: int | None = None,
) -> tuple[int, dict[str, list[WeekdayMasterReport]]]:
    """Generate synthetic days (all, only those with nothing stored, or none), then fold them into the
    weekday master; return (option rows written, weekday-master reports per index).

    Indices are independent (each day's reference is the same index's previous day), so they are split
    across up to `workers` processes (default: one per core, at most two); days run in order within each.
    """
    ordered = sorted(set(days))
    count = workers or min(2, os.cpu_count() or 1)
    groups = _balanced(list(indices), loaded, count)
    if len(groups) <= 1:
        return _history_of(loaded, ordered, list(indices), generate)
    rows = 0
    reports: dict[str, list[WeekdayMasterReport]] = {}
    with ProcessPoolExecutor(len(groups), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_history_of, loaded, ordered, group, generate) for group in groups]
        for future in futures:
            group_rows, group_reports = future.result()
            rows += group_rows
            reports.update(group_reports)
    return rows, {name: reports[name] for name in indices}


def _balanced(indices: list[str], loaded: LoadedSettings, count: int) -> list[list[str]]:
    """Split indices into `count` groups of about equal work (expiry tags × strikes)."""
    settings = loaded.settings.indices
    weight = {
        n: len(settings[n].expiry_tags) * (settings[n].strikes_below + settings[n].strikes_above + 1)  # type: ignore[index]
        for n in indices
    }
    groups: list[list[str]] = [[] for _ in range(max(1, min(count, len(indices))))]
    loads = [0] * len(groups)
    for name in sorted(indices, key=lambda n: -weight[n]):
        lightest = loads.index(min(loads))
        groups[lightest].append(name)
        loads[lightest] += weight[name]
    return [g for g in groups if g]


def _history_of(
    loaded: LoadedSettings, days: list[date], indices: list[str], generate: GenerateMode
) -> tuple[int, dict[str, list[WeekdayMasterReport]]]:
    settings = loaded.settings
    location = DataLocation(settings.data_dir)
    rows = 0
    if generate != "none":
        for day in days:
            wanted = [n for n in indices if generate == "all" or not has_stored_day(location, day, n)]
            if wanted:
                rows += generate_synthetic_day(loaded, day, wanted)
                log.info("generated synthetic %s for %s", day, ", ".join(wanted))
    alpha = settings.analytics.weekday_master_alpha
    return rows, {name: update_range(location, days, name, alpha=alpha) for name in indices}


def has_stored_day(location: DataLocation, day: date, index: str) -> bool:
    """Whether any option data (minute slices or a sealed file) is stored for (day, index)."""
    if location.exists(location.sealed_file(OPTIONS, day, index)):
        return True
    return any(n.endswith(".parquet") for n in location.list_names(location.table_dir(OPTIONS, day, index)))


def backfill_synthetic(
    loaded: LoadedSettings, start: date, end: date, indices: Sequence[str] | None = None
) -> BackfillReport:
    """Generate every trading day in [start, end], then fold them into the weekday master."""
    calendar = MarketCalendar.load(loaded.config_dir)
    names = list(indices) if indices else list(loaded.settings.enabled_indices)
    report = BackfillReport(days=calendar.trading_days(start, end))
    report.rows, reports = build_history(loaded, report.days, names, generate="all")
    for name, results in reports.items():
        issues = sum(len(r.issues) for r in results)
        files = sum(r.files_written for r in results)
        report.weekday_master[name] = f"{len(results)} days folded, {files} files written, {issues} issues"
    return report
