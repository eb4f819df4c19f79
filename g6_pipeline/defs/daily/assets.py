"""The daily assets: seal a day's option chain and overview per index, and fold the day into the weekday master."""


from collections import Counter
from datetime import date

import dagster as dg

from g6_pipeline.collection.backfill import (
    GenerateMode,
    build_history,
    generate_synthetic_day,
    has_stored_day,
)
from g6_pipeline.daily.quality import CheckResult, completeness, duplicates, iv_coverage, static_arbitrage
from g6_pipeline.defs.daily.partitions import DATE_DIMENSION, DAY_BY_INDEX, TRADING_DAYS, day_and_index
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.metrics import push_asset_check, push_weekday_master
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.reader import read_chain
from g6_pipeline.storage.seal import seal_day, seal_overview

QUALITY_CHECKS = {
    "completeness": "Every session minute was collected.",
    "no_duplicates": "No (minute, instrument) row appears twice.",
    "iv_coverage": "At least 90% of quoted legs have a finite implied volatility.",
    "static_arbitrage": "No call-spread, butterfly or put-call-parity violation beyond the quoted spread.",
}
CHECK_SPECS = [
    dg.AssetCheckSpec(name=name, asset="option_chain_daily", description=description)
    for name, description in QUALITY_CHECKS.items()
]


def quality_checks(location: DataLocation, day: date, index: str, expected: int, rate: float) -> dict[str, CheckResult]:
    """Run the four data-quality checks over the sealed day."""
    options = read_chain(location, day, index)
    return {
        "completeness": completeness(options, expected),
        "no_duplicates": duplicates(options),
        "iv_coverage": iv_coverage(options),
        "static_arbitrage": static_arbitrage(options, rate),
    }


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
    setup = g6.setup()
    location, settings = setup.location, setup.settings
    if settings.provider == "synthetic" and not has_stored_day(location, day, index):
        generate_synthetic_day(setup, day, [index])
    expected = len(setup.calendar.session_minutes(day))
    compression = settings.storage.parquet_compression
    report = seal_day(location, day, index, expected_minutes=expected, compression=compression)
    checks = quality_checks(location, day, index, expected, settings.analytics.risk_free_rate)
    for name, result in checks.items():
        push_asset_check(name, index, result.passed, settings)
    return dg.MaterializeResult(
        metadata={
            "rows": report.rows,
            "minutes_collected": report.minutes_collected,
            "minutes_expected": report.minutes_expected,
            "missing_legs": report.missing_legs_total if report.missing_legs_total is not None else -1,
            "file_bytes": report.file_bytes,
            "slices_merged": report.slices_merged,
            "sources": ", ".join(report.sources),
            "path": dg.MetadataValue.path(report.path),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=name,
                passed=result.passed,
                severity=dg.AssetCheckSeverity.WARN,
                description=result.description,
                metadata={"value": float(result.value), **{k: float(v) for k, v in result.details.items()}},
            )
            for name, result in checks.items()
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
    expected = len(g6.calendar().session_minutes(day))
    compression = g6.loaded().settings.storage.parquet_compression
    report = seal_overview(g6.location(), day, index, expected_minutes=expected, compression=compression)
    return dg.MaterializeResult(
        metadata={
            "rows": report.rows,
            "minutes_expected": expected,
            "missing_legs": report.missing_legs_total if report.missing_legs_total is not None else -1,
            "file_bytes": report.file_bytes,
            "path": dg.MetadataValue.path(report.path),
        }
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
        "for all enabled indices. Idempotent: any set of days, in any order, gives the same files. With the "
        "synthetic provider, days with no stored data are generated whole first."
    ),
)
def weekday_master(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Fold every day of the run's partition range into the weekday master of each enabled index."""
    window = context.partition_time_window
    setup = g6.setup()
    days = [d for d in setup.calendar.trading_days(window.start.date(), window.end.date()) if d < window.end.date()]
    settings = setup.settings
    generate: GenerateMode = "missing" if settings.provider == "synthetic" else "none"
    rows, by_index = build_history(setup, days, list(settings.enabled_indices), generate=generate)
    if rows:
        context.log.info(f"generated {rows:,} synthetic option rows for days with no stored data")
    per_index: dict[str, dict[str, object]] = {}
    reports = []
    for index, index_reports in by_index.items():
        severities: Counter[str] = Counter()
        for report in index_reports:
            reports.append(report.as_dict())
            day_severities: Counter[str] = Counter(issue.severity for issue in report.issues)
            severities.update(day_severities)
            summary: dict[str, object] = {"rows": report.rows, "days_folded": len(report.days_folded)}
            summary.update(day_severities)
            per_index.setdefault(index, {})[report.day.isoformat()] = summary
        push_weekday_master(index, sum(r.rows for r in index_reports), severities, settings)
    critical = sum(1 for r in reports if not r["ok"])
    return dg.MaterializeResult(
        metadata={
            "days": dg.MetadataValue.json([d.isoformat() for d in days]),
            "partitions_with_critical_issues": critical,
            "quality": dg.MetadataValue.json(per_index),
        }
    )
