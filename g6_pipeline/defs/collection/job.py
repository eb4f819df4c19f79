"""The minute collection job: collect (fetch → analytics → write) → publish, in one process, one run per minute.

Two ops, not four: each op boundary costs a handful of events in the run's event log, and the three steps up to
the data on disk run back to back in one op, so the minute's data lands as soon as G6's own work is done. The
UI still separates what an operator tells apart: whether the minute was collected and stored (`collect_minute`,
with the wait, the quote requests, the sinks' outcomes and the partitions written) and whether it was
published (`publish_cycle`: metrics, live status, the run's verdict).
"""

import logging
from datetime import datetime
from typing import Any

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
from g6_pipeline.core.clock import now_ist
from g6_pipeline.defs.collection.minutes import minute_materializations
from g6_pipeline.defs.resources import CYCLE_STATE_IO, G6Resource
from g6_pipeline.util.redact import mask_secrets

log = logging.getLogger(__name__)

IN_MEMORY = dg.Out(io_manager_key=CYCLE_STATE_IO)


class MinuteConfig(dg.Config):
    """Which minute to collect (ISO 8601 with offset); empty means the current minute."""

    minute: str = ""


COLLECT_OP = "collect_minute"
"""The op that takes the minute's configuration."""


def minute_run_config(minute: datetime | str) -> dg.RunConfig:
    """The run configuration of the collection run of `minute` (a datetime or its ISO 8601 text)."""
    key = minute if isinstance(minute, str) else minute.isoformat()
    return dg.RunConfig(ops={COLLECT_OP: MinuteConfig(minute=key)})


@dg.op(
    name=COLLECT_OP,
    out=IN_MEMORY,
    description="Wait for the minute's first instant (the run is launched ahead of it), fetch the option chains "
    "of every enabled index, compute IV, Greeks and chain analytics, write Parquet, classic CSV and (when "
    "configured) InfluxDB; report the minute partitions written.",
)
def collect_minute(context: dg.OpExecutionContext, config: MinuteConfig, g6: G6Resource) -> CycleState:
    """Fetch → analytics → write in one step, so that nothing but G6's own work lies between the minute's first
    instant and its data on disk; reports an `option_chain_minutes` materialization per (day, index) written
    to Parquet."""
    collector = g6.collector()
    state = fetch_step(collector, datetime.fromisoformat(config.minute) if config.minute else None)
    state = write_step(collector, analytics_step(collector, state))
    stored_in = (now_ist() - state.started_at).total_seconds()
    for materialization in minute_materializations(state, collector.location, collector.calendar, context.instance):
        context.log_event(materialization)
    context.add_output_metadata(cycle_metadata(state, stored_in))
    return state


def cycle_metadata(state: CycleState, stored_in: float) -> dict[str, Any]:
    """What the UI shows of a minute's collection: the minute, the wait for it, when the quotes were requested,
    how long fetch → write took (`stored_in` seconds), what was fetched and computed, each sink's outcome."""
    stats = state.stats
    first, last = stats.first_quote_at, stats.last_quote_at
    return {
        "minute": state.minute.isoformat(),
        "waited_seconds": round(state.waited_seconds, 3),
        "fetch_to_stored_seconds": round(stored_in, 3),
        "first_quote_request": first.isoformat() if first else "",
        "quote_request_spread_seconds": round((last - first).total_seconds(), 3) if first and last else -1.0,
        "indices_fetched": len(state.snapshots),
        "chains": len(state.chains),
        "failures": dg.MetadataValue.json(state.failures),
        **{f"sink_{s.sink}": dg.MetadataValue.text(s.error or f"{s.rows} rows, {s.bytes} bytes")
           for s in state.sinks},
    }


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
    """collect (fetch → analytics → write) → publish."""
    publish_cycle(collect_minute())
