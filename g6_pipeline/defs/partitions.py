"""The daily partitions: trading day × index, both dynamic, so they follow the data.

A day becomes a partition when something is stored for it — the first minute collected, a day backfilled or
imported — and an index when it is collected: the writer registers both in the Dagster instance
(`register`), and the UI shows the new partitions at once, with no reload of the definitions. Nothing is read
from disk when the definitions are imported; `stored_days_sensor` registers the days already on disk (a data
directory from before, a copy made by hand). Only trading days are ever stored, so no calendar check is needed
here.
"""

from collections.abc import Iterable, Sequence
from datetime import date

import dagster as dg

from g6_pipeline.core.calendar import CalendarError
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.storage.parquet import OPTIONS

DAYS_NAME = "g6_trading_days"
INDICES_NAME = "g6_indices"
DATE_DIMENSION = "date"
INDEX_DIMENSION = "index"

TRADING_DAYS = dg.DynamicPartitionsDefinition(name=DAYS_NAME)
"""Every trading day with stored data (YYYY-MM-DD)."""
INDICES = dg.DynamicPartitionsDefinition(name=INDICES_NAME)
"""Every index collected."""
DAY_BY_INDEX = dg.MultiPartitionsDefinition({DATE_DIMENSION: TRADING_DAYS, INDEX_DIMENSION: INDICES})


def partition_key(day: date, index: str) -> dg.MultiPartitionKey:
    """The `date|index` partition key of (trading day, index)."""
    return dg.MultiPartitionKey({DATE_DIMENSION: day.isoformat(), INDEX_DIMENSION: index})


def day_and_index(key: dg.MultiPartitionKey | str) -> tuple[date, str]:
    """The (trading day, index) of a `date|index` partition key."""
    keys = key.keys_by_dimension if isinstance(key, dg.MultiPartitionKey) else _split(key)
    return date.fromisoformat(keys[DATE_DIMENSION]), keys[INDEX_DIMENSION]


def _split(key: str) -> dict[str, str]:
    first, second = key.split("|")
    return {DATE_DIMENSION: first, INDEX_DIMENSION: second} if "-" in first else {
        DATE_DIMENSION: second, INDEX_DIMENSION: first}


def new_keys(instance: dg.DagsterInstance, days: Iterable[date], indices: Iterable[str]) -> tuple[list[str], list[str]]:
    """(days, indices) not yet registered in the instance, sorted."""
    day_keys = sorted({d.isoformat() for d in days})
    index_keys = sorted(set(indices))
    known_days = set(instance.get_dynamic_partitions(DAYS_NAME)) if day_keys else set()
    known_indices = set(instance.get_dynamic_partitions(INDICES_NAME)) if index_keys else set()
    return [d for d in day_keys if d not in known_days], [i for i in index_keys if i not in known_indices]


def register(instance: dg.DagsterInstance, days: Iterable[date], indices: Iterable[str]) -> int:
    """Add the days and indices that are not partitions yet; returns how many keys were added."""
    day_keys, index_keys = new_keys(instance, days, indices)
    if day_keys:
        instance.add_dynamic_partitions(DAYS_NAME, day_keys)
    if index_keys:
        instance.add_dynamic_partitions(INDICES_NAME, index_keys)
    return len(day_keys) + len(index_keys)


def registration_requests(days: Sequence[str], indices: Sequence[str]) -> list[dg.AddDynamicPartitionsRequest]:
    """The sensor form of `register` for keys already known to be new."""
    out = []
    if days:
        out.append(TRADING_DAYS.build_add_request(list(days)))
    if indices:
        out.append(INDICES.build_add_request(list(indices)))
    return out


STORED_DAYS_INTERVAL_SECONDS = 300


@dg.sensor(
    minimum_interval_seconds=STORED_DAYS_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers as partitions the stored trading days and indices that are not partitions yet.",
)
def stored_days_sensor(context: dg.SensorEvaluationContext, g6: G6Resource) -> dg.SensorResult | dg.SkipReason:
    """Add every stored (trading day, index) of the data directory that the instance does not know yet."""
    setup = g6.setup()
    location, calendar = setup.location, setup.calendar
    days: list[date] = []
    indices: set[str] = set()
    for day in location.table_days(OPTIONS):
        try:
            if not calendar.is_trading_day(day):
                continue
        except CalendarError:
            continue
        days.append(day)
        indices.update(location.table_indices(OPTIONS, day))
    new_days, new_indices = new_keys(context.instance, days, indices)
    if not new_days and not new_indices:
        return dg.SkipReason(f"all {len(days)} stored trading days are partitions")
    return dg.SensorResult(dynamic_partitions_requests=registration_requests(new_days, new_indices))
