"""The minute sensor: one run of the collection job per session minute, never two for the same minute."""


from datetime import datetime

import dagster as dg

from g6_pipeline.collection.gate import decide_minute
from g6_pipeline.collection.run_tags import MINUTE_TAG
from g6_pipeline.core.clock import now_ist
from g6_pipeline.defs.collection.job import MinuteConfig, collection_job
from g6_pipeline.defs.resources import G6Resource

SENSOR_INTERVAL_SECONDS = 15
"""Evaluated several times a minute so each minute is requested within seconds of its start."""


@dg.sensor(
    job=collection_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one collection run per session minute (run key = the minute).",
)
def minute_sensor(context: dg.SensorEvaluationContext, g6: G6Resource) -> dg.SensorResult | dg.SkipReason:
    """Request the current minute unless it was requested already or the gate says no."""
    setup = g6.setup()
    last = datetime.fromisoformat(context.cursor) if context.cursor else None
    decision = decide_minute(now_ist(), setup.settings, setup.calendar, last)
    if not decision.collect:
        return dg.SkipReason(decision.reason)
    minute = decision.minute.isoformat()
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=minute,
                run_config=dg.RunConfig(ops={"fetch_chains": MinuteConfig(minute=minute)}),
                tags={MINUTE_TAG: minute},
            )
        ],
        cursor=minute,
    )
