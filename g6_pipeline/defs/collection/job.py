"""The minute collection job: fetch → analytics → write → publish, in one process, one run per minute."""

import logging
from datetime import datetime

import dagster as dg

from g6_pipeline.collection.cycle import (
    CycleState,
    analytics_step,
    build_report,
    fetch_step,
    publish_step,
    write_step,
)
from g6_pipeline.collection.run_tags import COLLECTION_RUN_TAGS
from g6_pipeline.defs.collection.minutes import minute_materializations
from g6_pipeline.defs.resources import CYCLE_STATE_IO, G6Resource
from g6_pipeline.util.redact import mask_secrets

log = logging.getLogger(__name__)

IN_MEMORY = dg.Out(io_manager_key=CYCLE_STATE_IO)


class MinuteConfig(dg.Config):
    """Which minute to collect (ISO 8601 with offset); empty means the current minute."""

    minute: str = ""


@dg.op(out=IN_MEMORY, description="Fetch the option chains of every enabled index from the configured provider.")
def fetch_chains(context: dg.OpExecutionContext, config: MinuteConfig, g6: G6Resource) -> CycleState:
    """Fetch step."""
    at = datetime.fromisoformat(config.minute) if config.minute else None
    state = fetch_step(g6.collector(), at)
    context.add_output_metadata(
        {
            "minute": state.minute.isoformat(),
            "indices_fetched": len(state.snapshots),
            "failures": dg.MetadataValue.json(state.failures),
        }
    )
    return state


@dg.op(out=IN_MEMORY, description="Implied volatility, Greeks and chain analytics for every fetched chain.")
def compute_analytics(context: dg.OpExecutionContext, state: CycleState, g6: G6Resource) -> CycleState:
    """Analytics step."""
    state = analytics_step(g6.collector(), state)
    context.add_output_metadata({"chains": len(state.chains)})
    return state


@dg.op(
    out=IN_MEMORY,
    description="Write Parquet, classic CSV and (when configured) InfluxDB; report the minute partitions written.",
)
def write_sinks(context: dg.OpExecutionContext, state: CycleState, g6: G6Resource) -> CycleState:
    """Write step; reports an `option_chain_minutes` materialization per (day, index) written to Parquet."""
    collector = g6.collector()
    state = write_step(collector, state)
    for materialization in minute_materializations(state, collector.location, collector.calendar, context.instance):
        context.log_event(materialization)
    context.add_output_metadata(
        {s.sink: dg.MetadataValue.text(s.error or f"{s.rows} rows, {s.bytes} bytes") for s in state.sinks}
    )
    return state


@dg.op(description="Record metrics, push them to the Pushgateway, write the live status and panels.")
def publish_cycle(context: dg.OpExecutionContext, state: CycleState, g6: G6Resource) -> None:
    """Publish step; fails the run (after publishing) unless the whole minute was stored: every index collected
    and every sink written (`CycleReport.not_stored` says why not)."""
    report = build_report(state)
    publish_step(g6.collector(), report)
    context.add_output_metadata(
        {
            "duration_seconds": round(report.duration_seconds, 3),
            "indices": dg.MetadataValue.json(
                {n: {"status": o.status, "legs": o.legs_collected, "missing": o.legs_missing, "error": o.error}
                 for n, o in report.indices.items()}
            ),
        }
    )
    collected = [n for n, o in report.indices.items() if o.status != "failed"]
    log.info(
        "minute %s: %d of %d indices collected (%s) in %.2f s",
        report.minute.strftime("%H:%M"), len(collected), len(report.indices), ", ".join(collected) or "none",
        report.duration_seconds,
    )
    reasons = report.not_stored()
    if reasons:
        why = mask_secrets("; ".join(reasons), g6.collector().settings.secret_values())
        raise dg.Failure(description=f"minute {report.minute:%H:%M} not stored whole: {why}", allow_retries=False)


@dg.job(
    description="Collect one minute of option chains for every enabled index.",
    executor_def=dg.in_process_executor,
    tags=COLLECTION_RUN_TAGS,
)
def collection_job() -> None:
    """fetch → analytics → write → publish."""
    publish_cycle(write_sinks(compute_analytics(fetch_chains())))
