"""The minute sensor: one run of the collection job per session minute, launched ahead of its minute, never two
for the same minute and never one that cannot reach its minute in time."""


from datetime import datetime

import dagster as dg

from g6_pipeline.collection.collector import saved_circuit
from g6_pipeline.collection.gate import decide_minute
from g6_pipeline.collection.run_tags import MINUTE_TAG
from g6_pipeline.collection.timing import minute_to_request
from g6_pipeline.core.clock import now_ist
from g6_pipeline.defs.collection.job import collection_job, minute_run_config
from g6_pipeline.defs.resources import G6Resource

SENSOR_INTERVAL_SECONDS = 5
"""Evaluated every 5 s (the sensor daemon's floor), so each minute is requested within seconds of its launch time.

A tick is cheap (tens of milliseconds: the settings are cached per process, the gate and the kept circuit are a
clock check and one small file), and ticks that skip are purged after a day (`retention` in dagster.yaml).
"""


@dg.sensor(
    job=collection_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one collection run per session minute, launched ahead of the minute (run key = the minute).",
)
def minute_sensor(context: dg.SensorEvaluationContext, g6: G6Resource) -> dg.SensorResult | dg.SkipReason:
    """Request the minute `collection.timing.minute_to_request` names (the next one late in a minute, the
    current one while a run can still reach it) unless it was requested already, the gate says no or the
    provider's circuit is open."""
    setup = g6.setup()
    plan = minute_to_request(now_ist(), setup.settings.collection.late_grace_seconds)
    if plan.minute is None:
        return dg.SkipReason(plan.reason)
    last = datetime.fromisoformat(context.cursor) if context.cursor else None
    decision = decide_minute(plan.minute, setup.settings, setup.calendar, last)
    if not decision.collect:
        return dg.SkipReason(decision.reason)
    circuit = saved_circuit(setup)
    if circuit is not None and circuit.state == "open":
        return dg.SkipReason(f"minute {decision.minute:%H:%M} not requested: provider {circuit.describe()}")
    request = minute_request(decision.minute)
    return dg.SensorResult(run_requests=[request], cursor=request.run_key)


def minute_request(minute: datetime) -> dg.RunRequest:
    """The run request of one minute: the minute is its run key, its tag and the collect op's config."""
    key = minute.isoformat()
    return dg.RunRequest(run_key=key, run_config=minute_run_config(key), tags={MINUTE_TAG: key})
