"""Whole synthetic trading days, generated as one block and written through the same analytics and writers.

This is how a new user gets a month of history (and a weekday master) in minutes, with no account: the
synthetic market produces a past day vectorised, not as 375 one-minute cycles.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from g6_pipeline.analytics import enrich
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.market_calendar import MarketCalendar
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import LoadedSettings
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline.weekday_master import update_range

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
        reference = references.get(name, day)
        chains = [enrich(snap, settings.analytics.risk_free_rate, reference) for snap in snapshots]
        rows += parquet.write_day(chains)[0]
        if csv is not None:
            csv.write_day(chains)
    return rows


def backfill_synthetic(
    loaded: LoadedSettings, start: date, end: date, indices: Sequence[str] | None = None
) -> BackfillReport:
    """Generate every trading day in [start, end], then fold them into the weekday master."""
    settings = loaded.settings
    calendar = MarketCalendar.load(loaded.config_dir)
    location = DataLocation(settings.data_dir)
    names = list(indices) if indices else list(settings.enabled_indices)
    report = BackfillReport(days=calendar.trading_days(start, end))
    for day in report.days:
        report.rows += generate_synthetic_day(loaded, day, names)
        log.info("backfilled %s", day)
    for name in names:
        results = update_range(location, report.days, name, alpha=settings.analytics.weekday_master_alpha)
        issues = sum(len(r.issues) for r in results)
        files = sum(r.files_written for r in results)
        report.weekday_master[name] = f"{len(results)} days folded, {files} files written, {issues} issues"
    return report
