"""The daily assets: a (day, index) sealed — its option chain and overview — and folded into the weekday master.

Each is a thin wrapper over the history layer: `seal_day` calls the seal recipe (`history.seal`), the weekday
master the fold (`history.weekday_master`). `g6 backfill` records the days it seals with the same metadata and
check results (`sealed_day_events`, `master_events`).
"""


from collections.abc import Iterator
from typing import Any

import dagster as dg

from g6_pipeline.defs.collection.minutes import MINUTES_KEY
from g6_pipeline.defs.history.automation import FOLD_WHEN_SEALED, SEAL_AFTER_SESSION
from g6_pipeline.defs.history.checks import (
    DAY_CHECK_SPECS,
    MASTER_CHECK_SPECS,
    OPTION_CHAIN_DAILY,
    OVERVIEW_DAILY,
    WEEKDAY_MASTER,
    day_check_evaluations,
    day_check_results,
    master_check_evaluation,
    master_check_result,
)
from g6_pipeline.defs.metadata import (
    OPTION_TABLE_SCHEMA,
    OVERVIEW_TABLE_SCHEMA,
    OWNERS,
    TAGS,
    close_of_day,
    closing_chain_preview,
    table_metadata,
)
from g6_pipeline.defs.partitions import DAY_BY_INDEX, day_and_index, partition_key
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.history.backfill import NothingStoredError, prepare_day
from g6_pipeline.history.folding import fold_days
from g6_pipeline.history.seal import SealedDay, seal_trading_day
from g6_pipeline.history.weekday_master import WeekdayMasterReport
from g6_pipeline.metrics import push_weekday_master
from g6_pipeline.process.setup import ProcessSetup


def _daily_specs() -> list[dg.AssetSpec]:
    """The two tables a seal materializes (built here, not held at module level, so the definitions loader finds
    the multi-asset only)."""
    common: dict[str, Any] = {
        "deps": [MINUTES_KEY], "partitions_def": DAY_BY_INDEX, "automation_condition": SEAL_AFTER_SESSION,
        "group_name": "daily", "owners": OWNERS, "tags": TAGS, "kinds": {"parquet"},
    }
    return [
        dg.AssetSpec(
            OPTION_CHAIN_DAILY,
            metadata={"dagster/column_schema": OPTION_TABLE_SCHEMA},
            description=(
                "One trading day of one index's option chain, sealed: the day's minute slices compacted into one "
                "verified Parquet file. One row per option leg (expiry, strike, CE/PE) per session minute, with "
                "quote, OI, implied volatility and Greeks. With the synthetic provider a day with no slices is "
                "generated whole; with Kite a day that was not collected cannot be materialized."
            ),
            **common,
        ),
        dg.AssetSpec(
            OVERVIEW_DAILY,
            metadata={"dagster/column_schema": OVERVIEW_TABLE_SCHEMA},
            description=(
                "One trading day of one index's overview, sealed: one row per session minute with the index "
                "price, and per expiry tag the PCR, max pain, ATM straddle, ATM IV, 25-delta risk reversal and "
                "butterfly, plus which expiries and legs were collected."
            ),
            **common,
        ),
    ]


def option_metadata(sealed: SealedDay, setup: ProcessSetup) -> dict[str, Any]:
    """What the option chain's materialization says about a sealed day."""
    report, location = sealed.options, setup.location
    tag = setup.settings.indices[sealed.index].expiry_tags[0]
    return {
        **table_metadata(report.rows, OPTION_TABLE_SCHEMA),
        "rows": report.rows,
        "minutes_collected": report.minutes_collected,
        "minutes_expected": report.minutes_expected,
        **{f"minutes_{kind}": n for kind, n in sealed.minutes.items()},
        "missing_legs": report.missing_legs_total if report.missing_legs_total is not None else -1,
        "file_bytes": report.file_bytes,
        "slices_merged": report.slices_merged,
        "sources": ", ".join(report.sources),
        "quarantined": dg.MetadataValue.json(list(sealed.quarantined)),
        **({"provisional": sealed.provisional} if sealed.provisional else {}),
        **sealed.repair,
        "path": dg.MetadataValue.path(report.path),
        **close_of_day(location, sealed.day, sealed.index, tag),
        "closing_chain": closing_chain_preview(location, sealed.day, sealed.index, tag),
    }


def overview_metadata(sealed: SealedDay, setup: ProcessSetup) -> dict[str, Any]:
    """What the overview's materialization says about a sealed day."""
    report = sealed.overview
    tag = setup.settings.indices[sealed.index].expiry_tags[0]
    return {
        **table_metadata(report.rows, OVERVIEW_TABLE_SCHEMA),
        "rows": report.rows,
        "minutes_expected": report.minutes_expected,
        "missing_legs": report.missing_legs_total if report.missing_legs_total is not None else -1,
        "file_bytes": report.file_bytes,
        "path": dg.MetadataValue.path(report.path),
        **close_of_day(setup.location, sealed.day, sealed.index, tag),
    }


def sealed_day_events(
    sealed: SealedDay, setup: ProcessSetup, written_by: str
) -> list[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """A day sealed outside a run, as the events the asset would have logged: both tables and every check."""
    partition = str(partition_key(sealed.day, sealed.index))
    extra = {"written_by": written_by}
    return [
        dg.AssetMaterialization(OPTION_CHAIN_DAILY, partition=partition, metadata={**option_metadata(sealed, setup), **extra}),
        dg.AssetMaterialization(OVERVIEW_DAILY, partition=partition, metadata={**overview_metadata(sealed, setup), **extra}),
        *day_check_evaluations(sealed, partition),
    ]


@dg.multi_asset(
    name="seal_day",
    specs=_daily_specs(),
    check_specs=DAY_CHECK_SPECS,
    partitions_def=DAY_BY_INDEX,
    can_subset=False,
)
def seal_day(context: dg.AssetExecutionContext, g6: G6Resource) -> Iterator[dg.MaterializeResult]:
    """Seal (day, index) by the recipe: quarantine, repair, seal, the day checks, metrics."""
    day, index = day_and_index(context.partition_key)
    setup = g6.setup()
    try:
        if prepare_day(setup, day, index):
            context.log.info(f"{index} {day}: generated a synthetic day (nothing was stored)")
    except NothingStoredError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    sealed = seal_trading_day(setup, day, index)
    yield dg.MaterializeResult(
        asset_key=OPTION_CHAIN_DAILY, metadata=option_metadata(sealed, setup), check_results=day_check_results(sealed)
    )
    yield dg.MaterializeResult(asset_key=OVERVIEW_DAILY, metadata=overview_metadata(sealed, setup))


def master_metadata(reports: list[WeekdayMasterReport]) -> dict[str, Any]:
    """What the weekday master's materialization says about the (day, index) pairs folded."""
    return {
        "days": dg.MetadataValue.json(sorted({r.day.isoformat() for r in reports})),
        "partitions_with_critical_issues": sum(1 for r in reports if not r.ok),
        "master_rows": sum(r.master_rows for r in reports),
        "quality": dg.MetadataValue.json({f"{r.day.isoformat()}|{r.index}": {
            "rows": r.rows, "days_folded": len(r.days_folded), "issues": [i.message for i in r.issues]}
            for r in reports}),
    }


def master_events(reports: list[WeekdayMasterReport], written_by: str) -> list[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """Weekday-master folds done outside a run, as the events the asset would have logged, per partition."""
    events: list[dg.AssetMaterialization | dg.AssetCheckEvaluation] = []
    for report in reports:
        partition = str(partition_key(report.day, report.index))
        events.append(dg.AssetMaterialization(
            WEEKDAY_MASTER, partition=partition, metadata={**master_metadata([report]), "written_by": written_by}))
        events.append(master_check_evaluation([report], partition))
    return events


@dg.asset(
    partitions_def=DAY_BY_INDEX,
    deps=[OPTION_CHAIN_DAILY],
    check_specs=MASTER_CHECK_SPECS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    automation_condition=FOLD_WHEN_SEALED,
    group_name="daily",
    kinds={"csv"},
    owners=OWNERS,
    tags=TAGS,
    description=(
        "Per-weekday, per-time-of-day running means and EMAs of every series (the original's weekday master), "
        "per index: one CSV per (index, expiry tag, strike offset, weekday), one row per time of day. A day "
        "that fails a blocking check is not folded. Idempotent: any set of days, in any order, gives the "
        "same files. With the synthetic provider, days with no stored data are generated and sealed first."
    ),
)
def weekday_master(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Fold every (day, index) of the run's partitions into the weekday master of its index."""
    setup = g6.setup()
    pairs = [day_and_index(key) for key in context.partition_keys]
    folded = fold_days(setup, pairs)
    for line in folded.lines():
        context.log.info(line)
    for index, reports in folded.reports.items():
        push_weekday_master(index, sum(r.rows for r in reports), folded.severities(index), setup.settings)
    reports = [r for rs in folded.reports.values() for r in rs]
    return dg.MaterializeResult(metadata=master_metadata(reports), check_results=[master_check_result(reports)])
