"""The daily assets: seal a day's option chain and overview per index, and fold the day into the weekday master."""


from collections import Counter
from datetime import date
from typing import Any

import dagster as dg

from g6_pipeline.collection.backfill import (
    GenerateMode,
    build_history,
    generate_synthetic_day,
    has_stored_day,
)
from g6_pipeline.collection.components import ProcessSetup
from g6_pipeline.collection.gaps import describe_minutes, repair_with_kite
from g6_pipeline.daily.quality import kinds_of
from g6_pipeline.defs.daily.checks import (
    CHAIN_CHECK_SPECS,
    MASTER_CHECK_SPECS,
    chain_check_results,
    master_check_result,
    quality_checks,
)
from g6_pipeline.defs.daily.metadata import (
    OPTION_TABLE_SCHEMA,
    OVERVIEW_TABLE_SCHEMA,
    OWNERS,
    TAGS,
    close_of_day,
    closing_chain_preview,
    table_metadata,
)
from g6_pipeline.defs.daily.minutes import option_chain_minutes
from g6_pipeline.defs.daily.partitions import DATE_DIMENSION, DAY_BY_INDEX, TRADING_DAYS, day_and_index
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.metrics import push_asset_check, push_day_minutes, push_weekday_master
from g6_pipeline.storage.quarantine import quarantine_unreadable
from g6_pipeline.storage.seal import seal_day, seal_overview
from g6_pipeline.util.redact import describe_error


def require_stored_day(setup: ProcessSetup, day: date, index: str) -> None:
    """Fail at once, before any work, when (day, index) has no stored data and the provider cannot make it."""
    provider = setup.settings.provider
    if provider == "synthetic" or has_stored_day(setup.location, day, index):
        return
    raise dg.Failure(
        description=(
            f"{index} {day:%a %Y-%m-%d}: no option data is stored for this day, and provider '{provider}' "
            "cannot generate it (it collects live minutes only; only the synthetic provider generates past "
            "days). Collect the day during its session, or set storage.history_start after it."
        ),
        allow_retries=False,
    )


def repair_before_seal(
    context: dg.AssetExecutionContext, setup: ProcessSetup, day: date, index: str
) -> dict[str, Any]:
    """With Kite: refill the day's missing minutes from the historical candles before the seal.

    What cannot be repaired (contracts no longer listed, no candle, no historical subscription) stays a gap
    with its reason; a repair that cannot run at all leaves the day as stored and the seal goes on. Returns
    the seal's metadata about it (nothing for the other providers).
    """
    if setup.settings.provider != "kite":
        return {}
    try:
        result = repair_with_kite(setup, day, [index]).indices[index]
    except Exception as exc:  # the stored day is sealed as it is
        reason = describe_error(exc, setup.settings.secret_values())
        context.log.warning(f"{index} {day}: no gap repair before the seal: {reason}")
        return {"minutes_repaired_at_seal": 0, "repair": f"not run: {reason}"}
    reasons = "; ".join(f"{describe_minutes(m)} ({len(m)}): {why}" for why, m in result.reasons().items())
    if result.repaired:
        context.log.info(f"{index} {day}: {len(result.repaired)} missing minutes repaired before the seal")
    return {
        "minutes_repaired_at_seal": len(result.repaired),
        "repair": (f"{len(result.repaired)} minutes repaired from Kite's historical candles"
                   + (f"; still missing {reasons}" if reasons else "")),
    }


def _close_metadata(setup: ProcessSetup, day: date, index: str) -> dict[str, Any]:
    """Close-of-day numbers of the index's nearest configured expiry tag."""
    tag = setup.settings.indices[index].expiry_tags[0]  # type: ignore[index]
    return close_of_day(setup.location, day, index, tag)


@dg.asset(
    partitions_def=DAY_BY_INDEX,
    deps=[option_chain_minutes],
    check_specs=CHAIN_CHECK_SPECS,
    group_name="daily",
    kinds={"parquet"},
    owners=OWNERS,
    tags=TAGS,
    metadata={"dagster/column_schema": OPTION_TABLE_SCHEMA},
    description=(
        "One trading day of one index's option chain, sealed: the day's minute slices compacted into one "
        "verified Parquet file. One row per option leg (expiry, strike, CE/PE) per session minute, with "
        "quote, OI, implied volatility and Greeks. With the synthetic provider a day with no slices is "
        "generated whole; with Kite a day that was not collected cannot be materialized."
    ),
)
def option_chain_daily(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Seal (day, index); report completeness, duplicates, IV coverage and static-arbitrage checks."""
    day, index = day_and_index(context.partition_key)
    setup = g6.setup()
    require_stored_day(setup, day, index)
    location, settings = setup.location, setup.settings
    if settings.provider == "synthetic" and not has_stored_day(location, day, index):
        generate_synthetic_day(setup, day, [index])
    quarantined = [q.describe() for q in quarantine_unreadable(location, day, index)]  # gaps, then repaired
    repaired = repair_before_seal(context, setup, day, index)
    session = setup.calendar.session_minutes(day)
    expected = len(session)
    compression = settings.storage.parquet_compression
    report = seal_day(location, day, index, expected_minutes=expected, compression=compression)
    quarantined += report.quarantined
    for each in quarantined:
        context.log.warning(f"{index} {day}: unreadable slice quarantined: {each}")
    checks = quality_checks(location, day, index, expected, settings.analytics.risk_free_rate)
    for name, result in checks.items():
        push_asset_check(name, index, result.passed, settings)
    kinds = kinds_of(checks["completeness"])
    push_day_minutes(index, session[0], kinds, settings)
    tag = settings.indices[index].expiry_tags[0]  # type: ignore[index]
    return dg.MaterializeResult(
        metadata={
            **table_metadata(report.rows, OPTION_TABLE_SCHEMA),
            "rows": report.rows,
            "minutes_collected": report.minutes_collected,
            "minutes_expected": report.minutes_expected,
            **{f"minutes_{kind}": n for kind, n in kinds.items()},
            "missing_legs": report.missing_legs_total if report.missing_legs_total is not None else -1,
            "file_bytes": report.file_bytes,
            "slices_merged": report.slices_merged,
            "sources": ", ".join(report.sources),
            "quarantined": dg.MetadataValue.json(quarantined),
            **repaired,
            "path": dg.MetadataValue.path(report.path),
            **_close_metadata(setup, day, index),
            "closing_chain": closing_chain_preview(location, day, index, tag),
        },
        check_results=chain_check_results(checks),
    )


@dg.asset(
    partitions_def=DAY_BY_INDEX,
    deps=[option_chain_daily],
    group_name="daily",
    kinds={"parquet"},
    owners=OWNERS,
    tags=TAGS,
    metadata={"dagster/column_schema": OVERVIEW_TABLE_SCHEMA},
    description=(
        "One trading day of one index's overview, sealed: one row per session minute with the index price, "
        "and per expiry tag the PCR, max pain, ATM straddle, ATM IV, 25-delta risk reversal and butterfly, "
        "plus which expiries and legs were collected."
    ),
)
def overview_daily(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Compact the overview slices of (day, index)."""
    day, index = day_and_index(context.partition_key)
    setup = g6.setup()
    require_stored_day(setup, day, index)
    expected = len(setup.calendar.session_minutes(day))
    compression = setup.settings.storage.parquet_compression
    report = seal_overview(setup.location, day, index, expected_minutes=expected, compression=compression)
    return dg.MaterializeResult(
        metadata={
            **table_metadata(report.rows, OVERVIEW_TABLE_SCHEMA),
            "rows": report.rows,
            "minutes_expected": expected,
            "missing_legs": report.missing_legs_total if report.missing_legs_total is not None else -1,
            "file_bytes": report.file_bytes,
            "path": dg.MetadataValue.path(report.path),
            **_close_metadata(setup, day, index),
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
    check_specs=MASTER_CHECK_SPECS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="daily",
    kinds={"csv"},
    owners=OWNERS,
    tags=TAGS,
    description=(
        "Per-weekday, per-time-of-day running means and EMAs of every series (the original's weekday master), "
        "for all enabled indices: one CSV per (index, expiry tag, strike offset, weekday), one row per time "
        "of day. Idempotent: any set of days, in any order, gives the same files. With the synthetic "
        "provider, days with no stored data are generated whole first."
    ),
)
def weekday_master(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Fold every day of the run's partition range into the weekday master of each enabled index."""
    window = context.partition_time_window
    setup = g6.setup()
    days = [d for d in setup.calendar.trading_days(window.start.date(), window.end.date()) if d < window.end.date()]
    settings = setup.settings
    generate: GenerateMode = "missing" if settings.provider == "synthetic" else "none"
    outcomes, by_index = build_history(setup, days, list(settings.enabled_indices), generate=generate)
    rows = sum(o.rows for o in outcomes)
    if rows:
        context.log.info(f"generated {rows:,} synthetic option rows for days with no stored data")
    per_index: dict[str, dict[str, object]] = {}
    reports = []
    for index, index_reports in by_index.items():
        severities: Counter[str] = Counter()
        for report in index_reports:
            reports.append(report)
            day_severities: Counter[str] = Counter(issue.severity for issue in report.issues)
            severities.update(day_severities)
            summary: dict[str, object] = {"rows": report.rows, "days_folded": len(report.days_folded)}
            summary.update(day_severities)
            per_index.setdefault(index, {})[report.day.isoformat()] = summary
        push_weekday_master(index, sum(r.rows for r in index_reports), severities, settings)
    return dg.MaterializeResult(
        metadata={
            "days": dg.MetadataValue.json([d.isoformat() for d in days]),
            "partitions_with_critical_issues": sum(1 for r in reports if not r.ok),
            "master_rows": sum(r.master_rows for r in reports),
            "quality": dg.MetadataValue.json(per_index),
        },
        check_results=[master_check_result(reports)],
    )
