"""Gap repair after an outage: a sensor that sees today's session collected live again after missing minutes,
and the small job that refills them from Kite's historical candles (`history.repair`).

A tick lists today's minute slices (no file is read) and asks for a repair run only for gaps no earlier run
was asked to repair: the cursor keeps, per index, the minutes already handed to a repair, and the run key is
derived from the gap set, so the same gaps are never repaired twice (what a repair cannot fill stays a gap
with its reason, in the run's metadata, and is not asked for again). Kite only: the synthetic and mock
providers have no history to repair from.
"""

import json
from datetime import date

import dagster as dg
from pydantic import Field

from g6_pipeline.collection.run_tags import DAILY_TAGS, REPAIR_DAY_TAG
from g6_pipeline.core.calendar import CalendarError
from g6_pipeline.core.clock import now_ist
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.history.gaps import Gaps, day_gaps, describe_minutes, gap_key, repair_with_kite

GAP_SENSOR_INTERVAL_SECONDS = 60
"""A tick a minute: a gap is seen within a minute of the first minute collected after it."""


class RepairConfig(dg.Config):
    """The day to repair (YYYY-MM-DD) and the indices (empty: every enabled one)."""

    day: str
    indices: list[str] = Field(default_factory=list)


@dg.op(description="Refill the day's missing minutes from Kite's historical minute candles.")
def repair_gaps(context: dg.OpExecutionContext, config: RepairConfig, g6: G6Resource) -> None:
    """Repair the day; the metadata says, per index, what was repaired and why the rest is still missing."""
    report = repair_with_kite(g6.setup(), date.fromisoformat(config.day), config.indices or None)
    summary = {
        name: {
            "repaired": len(result.repaired),
            "still_missing": len(result.missing),
            "calls": result.calls,
            "reasons": {reason: describe_minutes(minutes) for reason, minutes in result.reasons().items()},
        }
        for name, result in report.indices.items()
    }
    context.add_output_metadata({
        "day": config.day,
        "minutes_repaired": sum(len(r.repaired) for r in report.indices.values()),
        "minutes_still_missing": sum(len(r.missing) for r in report.indices.values()),
        "indices": dg.MetadataValue.json(summary),
    })
    if report.stopped:
        raise dg.Failure(description=f"repair stopped: {report.stopped}", allow_retries=False)


@dg.job(description="Refill a day's missing minutes from Kite's historical candles.", tags=DAILY_TAGS)
def gap_repair_job() -> None:
    """One op."""
    repair_gaps()


def _requested(cursor: str | None, day: date) -> dict[str, set[str]]:
    """The minutes (HHMM) per index already handed to a repair today, from the cursor."""
    try:
        kept = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    if not isinstance(kept, dict) or kept.get("day") != day.isoformat():
        return {}
    return {ix: set(minutes) for ix, minutes in dict(kept.get("requested", {})).items()}


def _new_gaps(gaps: Gaps, requested: dict[str, set[str]]) -> Gaps:
    fresh = {ix: [m for m in minutes if f"{m:%H%M}" not in requested.get(ix, set())] for ix, minutes in gaps.items()}
    return {ix: minutes for ix, minutes in fresh.items() if minutes}


@dg.sensor(
    job=gap_repair_job,
    minimum_interval_seconds=GAP_SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After an outage, requests a repair of today's missing minutes once minutes are collected again.",
)
def gap_repair_sensor(context: dg.SensorEvaluationContext, g6: G6Resource) -> dg.SensorResult | dg.SkipReason:
    """Request a repair run for today's gaps before the latest collected minute that no run was asked for."""
    setup = g6.setup()
    if setup.settings.provider != "kite":
        return dg.SkipReason(f"gap repair reads Kite's historical candles; the provider is {setup.settings.provider}")
    now = now_ist()
    day = now.date()
    try:
        trading = setup.calendar.is_trading_day(day)
    except CalendarError as exc:
        return dg.SkipReason(str(exc))
    if not trading:
        return dg.SkipReason(f"{day:%a %Y-%m-%d} is not a trading day")
    gaps = day_gaps(setup, day, now)
    requested = _requested(context.cursor, day)
    fresh = _new_gaps(gaps, requested)
    if not fresh:
        held = sum(len(m) for m in gaps.values())
        return dg.SkipReason(f"no new gap today ({held} missing minutes already handed to a repair)" if held
                             else "no gap today before the latest collected minute")
    for ix, minutes in gaps.items():
        requested.setdefault(ix, set()).update(f"{m:%H%M}" for m in minutes)
    key = gap_key(day, gaps)
    context.log.info("requesting repair %s: %s", key,
                     "; ".join(f"{ix} {describe_minutes(minutes)}" for ix, minutes in fresh.items()))
    request = dg.RunRequest(
        run_key=key,
        run_config=dg.RunConfig(ops={"repair_gaps": RepairConfig(day=day.isoformat(), indices=sorted(fresh))}),
        tags={REPAIR_DAY_TAG: day.isoformat()},
    )
    cursor = {"day": day.isoformat(), "requested": {ix: sorted(m) for ix, m in sorted(requested.items())}}
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(cursor))

