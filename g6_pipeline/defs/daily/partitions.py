"""Daily partitions: one per trading day (Asia/Kolkata) from `storage.history_start` to today, times one per index."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dagster as dg

from g6_pipeline.collection.components import ProcessSetup
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST, MARKET_TZ_NAME, now_ist
from g6_pipeline.defs.resources import process_setup
from g6_pipeline.settings.model import default_indices
from g6_pipeline.storage.parquet import OPTIONS

INDEX_DIMENSION = "index"
DATE_DIMENSION = "date"


def history_start(setup: ProcessSetup, today: date | None = None) -> date:
    """The first daily partition: `storage.history_start`, else the first trading day with stored option data,
    else today, so that a new installation shows only days that can exist."""
    configured = setup.settings.storage.history_start
    if configured is not None:
        return configured
    stored = [d for d in setup.location.table_days(OPTIONS) if setup.calendar.is_trading_day(d)]
    return stored[0] if stored else (today or now_ist().date())


def trading_day_partitions(calendar: MarketCalendar, start: date) -> dg.DailyPartitionsDefinition:
    """Every trading day from `start` that the holiday file covers, today included (sealed after the close)."""
    first = max(start, date(min(calendar.years), 1, 1))
    last = date(max(calendar.years), 12, 31)
    exclusions = []
    day = first
    while day <= last:
        if not calendar.is_trading_day(day):
            exclusions.append(datetime(day.year, day.month, day.day, tzinfo=IST))
        day += timedelta(days=1)
    return dg.DailyPartitionsDefinition(
        start_date=first.isoformat(),
        end_date=(last + timedelta(days=1)).isoformat(),
        timezone=MARKET_TZ_NAME,
        end_offset=1,
        exclusions=exclusions,
    )


def _load() -> tuple[dg.DailyPartitionsDefinition, list[str]]:
    setup = process_setup()
    names = list(setup.settings.enabled_indices) or list(default_indices())
    return trading_day_partitions(setup.calendar, history_start(setup)), names


TRADING_DAYS, INDEX_NAMES = _load()
INDICES = dg.StaticPartitionsDefinition(INDEX_NAMES)
DAY_BY_INDEX = dg.MultiPartitionsDefinition({DATE_DIMENSION: TRADING_DAYS, INDEX_DIMENSION: INDICES})


def day_and_index(key: dg.MultiPartitionKey | str) -> tuple[date, str]:
    """The (trading day, index) of a `date|index` partition key."""
    keys = key.keys_by_dimension if isinstance(key, dg.MultiPartitionKey) else _split(key)
    return date.fromisoformat(keys[DATE_DIMENSION]), keys[INDEX_DIMENSION]


def partition_of(day: date, index: str) -> dg.MultiPartitionKey:
    """The `date|index` partition key of (trading day, index)."""
    return dg.MultiPartitionKey({DATE_DIMENSION: day.isoformat(), INDEX_DIMENSION: index})


def _split(key: str) -> dict[str, str]:
    first, second = key.split("|")
    return {DATE_DIMENSION: first, INDEX_DIMENSION: second} if "-" in first else {
        DATE_DIMENSION: second, INDEX_DIMENSION: first}
