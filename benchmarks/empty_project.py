"""The floor for `bench_minute_latency.py`: a Dagster code location with one job of one empty op, run in process
like G6's minute job, and a sensor that requests one run of it a minute.

It requests its run between seconds 15 and 30 of a minute, when G6's minute run is done and the next one not yet
launched, so the two share the machine but not the moment. Its runs are tagged `bench/minute`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

MINUTE_TAG = "bench/minute"
WINDOW = (15, 30)
"""The seconds of a minute in which the sensor requests the minute's run."""


@dg.op
def nothing() -> None:
    """Does nothing: the run is Dagster's own cost alone."""


@dg.job(executor_def=dg.in_process_executor)
def empty_job() -> None:
    """One empty op."""
    nothing()


@dg.sensor(job=empty_job, minimum_interval_seconds=5, default_status=dg.DefaultSensorStatus.RUNNING)
def empty_minute_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """One run of `empty_job` a minute, requested in `WINDOW`."""
    now = datetime.now(UTC)
    key = now.replace(second=0, microsecond=0).isoformat()
    if not WINDOW[0] <= now.second < WINDOW[1] or context.cursor == key:
        return dg.SkipReason("not the moment")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=key, tags={MINUTE_TAG: key})], cursor=key)


defs = dg.Definitions(jobs=[empty_job], sensors=[empty_minute_sensor])
