"""The daily assets: seal a day's option chain and overview per index, and fold the day into the weekday master."""

from __future__ import annotations

from datetime import date

import dagster as dg

from g6_pipeline.collection.backfill import generate_synthetic_day
from g6_pipeline.defs.daily.partitions import DATE_DIMENSION, DAY_BY_INDEX, TRADING_DAYS, day_and_index
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.quality import QUALITY_CHECKS, run_quality_checks
from g6_pipeline.storage.seal import has_minute_data, seal_day, seal_overview
from g6_pipeline.weekday_master import update_range

DAILY_TAGS = {"g6/run_kind": "daily"}
CHECK_SPECS = [
    dg.AssetCheckSpec(name=name, asset="option_chain_daily", description=description)
    for name, description in QUALITY_CHECKS.items()
]


@dg.asset(
    partitions_def=DAY_BY_INDEX,
    check_specs=CHECK_SPECS,
    group_name="daily",
    kinds={"parquet"},
    description=(
        "One trading day of one index's option chain: the minute slices compacted into the day's Parquet "
        "file and verified. With the synthetic provider a day with no slices is generated whole."
    ),
)
def option_chain_daily(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Seal (day, index); report completeness, duplicates, IV coverage and static-arbitrage checks."""
    day, index = day_and_index(context.partition_key)
    location = g6.location()
    calendar = g6.calendar()
    settings = g6.loaded().settings
    if settings.provider == "synthetic" and not has_minute_data(location, day, index):
        generate_synthetic_day(g6.loaded(), day, [index])
    expected = len(calendar.session_minutes(day))
    report = seal_day(location, day, index, expected_minutes=expected)
    checks = run_quality_checks(location, day, index, expected_minutes=expected)
    return dg.MaterializeResult(
        metadata={
            "rows": report.rows,
            "minutes_collected": report.minutes_collected,
            "minutes_expected": report.minutes_expected,
            "missing_legs": report.missing_legs,
            "file_bytes": report.file_bytes,
            "path": dg.MetadataValue.path(str(report.path)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=result.name,
                passed=result.passed,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"value": result.value, "description": result.description},
            )
            for result in checks
        ],
    )


@dg.asset(
    partitions_def=DAY_BY_INDEX,
    deps=[option_chain_daily],
    group_name="daily",
    kinds={"parquet"},
    description="One trading day of one index's per-minute overview (PCR, max pain, straddle, ATM IV, masks).",
)
def overview_daily(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Compact the overview slices of (day, index)."""
    day, index = day_and_index(context.partition_key)
    report = seal_overview(g6.location(), day, index)
    return dg.MaterializeResult(
        metadata={"rows": report.rows, "file_bytes": report.file_bytes, "path": dg.MetadataValue.path(str(report.path))}
    )


@dg.asset(
    partitions_def=TRADING_DAYS,
    deps=[
        dg.AssetDep(
            option_chain_daily,
            partition_mapping=dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name=DATE_DIMENSION),
        )
    ],
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="daily",
    kinds={"csv"},
    description=(
        "Per-weekday, per-time-of-day running means and EMAs of every series (the original's weekday master), "
        "for all enabled indices. Idempotent: any set of days, in any order, gives the same files."
    ),
)
def weekday_master(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Fold every day of the run's partition range into the weekday master of each enabled index."""
    window = context.partition_time_window
    days = [d for d in g6.calendar().trading_days(window.start.date(), window.end.date()) if d < window.end.date()]
    settings = g6.loaded().settings
    per_index = {}
    for index in settings.enabled_indices:
        report = update_range(g6.location(), days, index, alpha=settings.analytics.weekday_master_alpha)
        per_index[index] = report.summary()
        context.log.info(f"weekday master {index}: {report.summary()}")
    return dg.MaterializeResult(
        metadata={
            "days": dg.MetadataValue.json([d.isoformat() for d in days]),
            "indices": dg.MetadataValue.json(per_index),
        }
    )


def partition_day(key: str) -> date:
    """The trading day of a date partition key."""
    return date.fromisoformat(key)
