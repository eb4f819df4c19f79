"""The archive of Kite's instrument lists as a daily asset: one partition per day a list was downloaded.

Kite lists only live contracts and G6's instrument cache keeps a few days; `instrument_archive` keeps each
day's NFO and BFO lists for good (`history.instrument_days`) and checks them: `dump_complete` (blocking) fails
on a list that is missing, unreadable, lists no option or lacks a wanted index; `rule_drift` warns, the day
the contracts list, with exactly what the exchange changed against the previous archived session (expiry
weekday, weeklies, lot size per expiry, strike step, underlyings listed or delisted). `instrument_lists_sensor`
sees a day's list in the cache (the collection downloads it before the day's first minute), registers the
day as a partition and asks for its run; the simulated providers download no list, so it asks for nothing.
"""

from datetime import date
from typing import Any

import dagster as dg

from g6_pipeline.collection.run_tags import DAILY_TAGS
from g6_pipeline.defs.metadata import OWNERS, TAGS, check_severity, check_specs
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.history.instrument_days import ARCHIVE_CHECKS, ArchivedDay, archive_instrument_day
from g6_pipeline.instruments.cache import InstrumentCache
from g6_pipeline.process.setup import ProcessSetup, instrument_cache_dir
from g6_pipeline.storage.instrument_archive import ARCHIVED_EXCHANGES

INSTRUMENT_DAYS_NAME = "g6_instrument_days"
INSTRUMENT_DAYS = dg.DynamicPartitionsDefinition(name=INSTRUMENT_DAYS_NAME)
"""Every day an instrument list was downloaded (YYYY-MM-DD)."""
INSTRUMENT_ARCHIVE = dg.AssetKey("instrument_archive")
SENSOR_INTERVAL_SECONDS = 600


def wanted_exchanges(setup: ProcessSetup) -> dict[str, list[str]]:
    """Exchange → the enabled indices listed there, for the exchanges whose lists are archived."""
    wanted: dict[str, list[str]] = {}
    for name in setup.settings.enabled_indices:
        exchange = setup.settings.indices[name].exchange
        if exchange in ARCHIVED_EXCHANGES:
            wanted.setdefault(exchange, []).append(name)
    return wanted


def archived_metadata(archived: ArchivedDay) -> dict[str, Any]:
    """What the materialization says: per exchange its options, what it lacks and the rule changes."""
    return {
        "source": "Kite instrument list (/instruments)",
        "exchanges": dg.MetadataValue.json({e.exchange: {
            "archived_now": e.archived_now, "instruments": e.rows, "options": e.options, "underlyings": e.underlyings,
            "lacks": list(e.missing), "compared_with": e.previous.isoformat() if e.previous else None,
            "error": e.error} for e in archived.exchanges}),
        "rule_changes": dg.MetadataValue.md("\n".join(f"- {c.line()}" for c in archived.changes) or "none"),
        "options": sum(e.options for e in archived.exchanges),
    }


@dg.asset(
    partitions_def=INSTRUMENT_DAYS,
    check_specs=check_specs(INSTRUMENT_ARCHIVE, ARCHIVE_CHECKS),
    group_name="reference",
    kinds={"parquet"},
    owners=OWNERS,
    tags=TAGS,
    description=(
        "Kite's NFO and BFO instrument lists of one day, kept for good (one zstd Parquet file per exchange and "
        "day, read with g6_pipeline.data.load_instruments): the record of every contract listed and of each "
        "exchange rule change, which rule_drift names the day the contracts list."
    ),
)
def instrument_archive(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Archive the day's cached lists, check them and compare them with the previous archived session's."""
    setup = g6.setup()
    day = date.fromisoformat(context.partition_key)
    wanted = wanted_exchanges(setup)
    archived = archive_instrument_day(setup.location, InstrumentCache(instrument_cache_dir(setup.location)), day,
                                      wanted, exchanges=sorted(wanted))
    if all(e.error for e in archived.exchanges):
        reasons = "; ".join(f"{e.exchange}: {e.error}" for e in archived.exchanges) or "no exchange is wanted"
        raise dg.Failure(description=f"nothing archived for {day.isoformat()}: {reasons}", allow_retries=False)
    for change in archived.changes:
        context.log.warning(f"rule change {day.isoformat()}: {change.line()}")
    checks = archived.checks()
    return dg.MaterializeResult(metadata=archived_metadata(archived), check_results=[
        dg.AssetCheckResult(check_name=name, passed=result.passed, description=result.description,
                            severity=check_severity(ARCHIVE_CHECKS[name]),
                            metadata={k: float(v) for k, v in result.details.items()})
        for name, result in checks.items()
    ])


@dg.sensor(
    target=[INSTRUMENT_ARCHIVE],
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Asks for the instrument archive of each day whose list the instrument cache holds.",
)
def instrument_lists_sensor(context: dg.SensorEvaluationContext, g6: G6Resource) -> dg.SensorResult | dg.SkipReason:
    """Register each cached day that is not a partition yet and ask for its archive run (once per day)."""
    setup = g6.setup()
    cache = InstrumentCache(instrument_cache_dir(setup.location))
    wanted = wanted_exchanges(setup)
    days = [d.isoformat() for d in cache.days() if any(cache.load(e, d) is not None for e in wanted)]
    known = set(context.instance.get_dynamic_partitions(INSTRUMENT_DAYS_NAME))
    fresh = [d for d in days if d not in known]
    if not fresh:
        return dg.SkipReason(f"every cached instrument list ({len(days)} days) is a partition already")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"instrument-archive-{d}", partition_key=d, tags=DAILY_TAGS)
                      for d in fresh],
        dynamic_partitions_requests=[INSTRUMENT_DAYS.build_add_request(fresh)],
    )
