"""The collected minute data as an asset: each minute run reports the (day, underlying) partitions it wrote, and
a freshness check watches it during the session.

The collection job is an op job (one run per minute, all underlyings, in process); it registers the day and the
underlyings it wrote as partitions and reports an `AssetMaterialization` of `option_chain_minutes` per
underlying the Parquet sink wrote, so the day's partition fills up in the UI and the lineage runs minutes →
daily → weekday master. A run reports at most `MINUTE_EVENTS` partitions: with more underlyings than that, each
is reported every ⌈N / MINUTE_EVENTS⌉ minutes in turn (`reported`), since every event costs the run a write to
the instance (a run logging 200 events takes seconds; benchmarks/README_partitions.md) and a year of them at
every minute would be millions. `freshness_sensor` reports the `fresh_during_session` check every minute of a
session (no run needed); the check can also be executed from the UI.
"""


from collections.abc import Sequence
from datetime import datetime

import dagster as dg

from g6_pipeline.collection.cycle import CycleState
from g6_pipeline.collection.freshness import Freshness, minute_freshness
from g6_pipeline.core.calendar import CalendarError, MarketCalendar
from g6_pipeline.core.clock import now_ist
from g6_pipeline.defs.metadata import OPTION_TABLE_SCHEMA, OWNERS, TAGS
from g6_pipeline.defs.partitions import DAY_BY_INDEX, partition_key, register
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS

MINUTES_KEY = dg.AssetKey("option_chain_minutes")
PARQUET_SINK = "parquet"
FRESHNESS_CHECK = "fresh_during_session"
FRESHNESS_SENSOR_INTERVAL_SECONDS = 60

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


MINUTE_EVENTS = 16
"""The most partitions one minute run reports."""


def reported(names: Sequence[str], minute: datetime) -> list[str]:
    """The underlyings a minute run reports among the `names` it wrote: all of them up to `MINUTE_EVENTS`, else
    those whose turn it is (every ⌈N / MINUTE_EVENTS⌉ minutes each, in name order, by the minute of the day)."""
    ordered = sorted(names)
    if len(ordered) <= MINUTE_EVENTS:
        return ordered
    period = -(-len(ordered) // MINUTE_EVENTS)
    turn = (minute.hour * 60 + minute.minute) % period
    return [name for i, name in enumerate(ordered) if i % period == turn]


def minute_materializations(
    state: CycleState, location: DataLocation, calendar: MarketCalendar, instance: dg.DagsterInstance
) -> list[dg.AssetMaterialization]:
    """One materialization of `option_chain_minutes` per underlying whose minute was committed (`state.chains`
    holds only those: an underlying whose minute failed in any store is not reported) and whose turn it is
    (`reported`), the day and every underlying committed registered as partitions first.

    None when the Parquet sink is not configured; a minute of a day without a session (a weekend minute of the
    synthetic provider) is written to disk but not reported.
    """
    parquet = next((s for s in state.sinks if s.sink == PARQUET_SINK), None)
    day = state.minute.date()
    try:
        trading = calendar.is_trading_day(day)
    except CalendarError:
        trading = False
    if parquet is None or not trading or not state.chains:
        return []
    register(instance, [day], state.chains)
    out = []
    for index in reported(list(state.chains), state.minute):
        chain = state.chains[index]
        snapshot = chain.snapshot
        stored = len(location.minute_slice_names(location.table_dir(OPTIONS, day, index)))
        out.append(
            dg.AssetMaterialization(
                asset_key=MINUTES_KEY,
                partition=str(partition_key(day, index)),
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


def freshness_metadata(freshness: Freshness) -> dict[str, float]:
    """Seconds since each index's latest stored minute (−1: nothing stored today)."""
    return {f"age_seconds_{ix}": round(age, 1) if age is not None else -1.0 for ix, age in freshness.ages.items()}


@dg.asset_check(
    asset=MINUTES_KEY,
    name=FRESHNESS_CHECK,
    description="During a session, every enabled index has a minute stored within `alerts.stale_after_seconds`.",
)
def fresh_during_session(g6: G6Resource) -> dg.AssetCheckResult:
    """The freshness of the live minute data now."""
    freshness = minute_freshness(g6.setup(), now_ist())
    return dg.AssetCheckResult(
        passed=freshness.passed, severity=dg.AssetCheckSeverity.WARN, description=freshness.description,
        metadata=freshness_metadata(freshness),
    )


@dg.sensor(
    minimum_interval_seconds=FRESHNESS_SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every minute of a session: reports whether the live minute data is fresh (no run is launched).",
)
def freshness_sensor(context: dg.SensorEvaluationContext, g6: G6Resource) -> dg.SensorResult | dg.SkipReason:
    """Report `fresh_during_session` during a session; skip, saying why, outside one."""
    freshness = minute_freshness(g6.setup(), now_ist())
    if not freshness.in_session:
        return dg.SkipReason(freshness.description)
    evaluation = dg.AssetCheckEvaluation(
        asset_key=MINUTES_KEY, check_name=FRESHNESS_CHECK, passed=freshness.passed,
        severity=dg.AssetCheckSeverity.WARN, description=freshness.description,
        metadata=freshness_metadata(freshness),
    )
    return dg.SensorResult(asset_events=[evaluation])
