"""The collected minute data as an asset: each minute run reports the (day, index) partitions it wrote.

The collection job is an op job (one run per minute, all indices, in process); it reports an
`AssetMaterialization` of `option_chain_minutes` per index the Parquet sink wrote, so the day's partition
fills up minute by minute in the UI and the lineage runs minutes → daily → weekday master.
"""

from __future__ import annotations

import dagster as dg

from g6_pipeline.collection.cycle import CycleState
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.defs.daily.metadata import OPTION_TABLE_SCHEMA, OWNERS, TAGS
from g6_pipeline.defs.daily.partitions import DAY_BY_INDEX, INDEX_NAMES, TRADING_DAYS, partition_of
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS

MINUTES_KEY = dg.AssetKey("option_chain_minutes")
PARQUET_SINK = "parquet"

option_chain_minutes = dg.AssetSpec(
    key=MINUTES_KEY,
    partitions_def=DAY_BY_INDEX,
    group_name="collection",
    kinds={"parquet"},
    owners=OWNERS,
    tags={**TAGS, "cadence": "minute"},
    metadata={"dagster/column_schema": OPTION_TABLE_SCHEMA},
    description=(
        "The live minute slices of one trading day of one index, written by `collection_job` every session "
        "minute: one row per option leg (index, expiry, strike, side) per minute, with quote, OI, IV and "
        "Greeks. Each minute run reports the partitions it wrote; sealed into `option_chain_daily` after "
        "the close."
    ),
)


def minute_materializations(
    state: CycleState, location: DataLocation, calendar: MarketCalendar
) -> list[dg.AssetMaterialization]:
    """One materialization of `option_chain_minutes` per index whose minute the Parquet sink wrote.

    None when the Parquet sink failed; a minute outside the partitions (a day before the first partition, a
    weekend minute of the synthetic provider) is written to disk but not reported.
    """
    parquet = next((s for s in state.sinks if s.sink == PARQUET_SINK), None)
    day = state.minute.date()
    if parquet is None or parquet.error or not calendar.is_trading_day(day) or day < TRADING_DAYS.start.date():
        return []
    out = []
    for index, chain in state.chains.items():
        if index not in INDEX_NAMES:
            continue
        snapshot = chain.snapshot
        stored = len(location.minute_slice_names(location.table_dir(OPTIONS, day, index)))
        out.append(
            dg.AssetMaterialization(
                asset_key=MINUTES_KEY,
                partition=str(partition_of(day, index)),
                description=f"{index} {state.minute:%H:%M}: {len(chain.options)} option rows",
                metadata={
                    "minute": state.minute.isoformat(),
                    "dagster/row_count": len(chain.options),
                    "missing_legs": len(snapshot.missing),
                    "source": snapshot.provider or state.provider,
                    "minutes_stored": stored,
                },
            )
        )
    return out
