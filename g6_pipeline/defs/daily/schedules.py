"""After the close: seal each index's day, then fold the day into the weekday master."""


from datetime import date

import dagster as dg

from g6_pipeline.defs.daily.assets import DAILY_TAGS, option_chain_daily, overview_daily, weekday_master
from g6_pipeline.defs.daily.partitions import DATE_DIMENSION, INDEX_DIMENSION, INDEX_NAMES
from g6_pipeline.defs.resources import G6Resource

seal_day_job = dg.define_asset_job(
    "seal_day_job", selection=[option_chain_daily, overview_daily], tags=DAILY_TAGS,
    description="Seal one (day, index): the day's option chain and overview.",
)
weekday_master_job = dg.define_asset_job(
    "weekday_master_job", selection=[weekday_master], tags=DAILY_TAGS,
    description="Fold trading days into the weekday master.",
)


def _not_a_trading_day(g6: G6Resource, day: date) -> dg.SkipReason | None:
    """A skip for days without a session, else None."""
    if g6.calendar().is_trading_day(day):
        return None
    return dg.SkipReason(f"{day:%a %Y-%m-%d} is not a trading day")


@dg.schedule(
    job=seal_day_job,
    cron_schedule="45 15 * * *",
    execution_timezone="Asia/Kolkata",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="15:45 IST on trading days: seal the day for every enabled index.",
)
def seal_after_close(context: dg.ScheduleEvaluationContext, g6: G6Resource) -> list[dg.RunRequest] | dg.SkipReason:
    """One run per index for today's partition."""
    day = context.scheduled_execution_time.date()
    if skip := _not_a_trading_day(g6, day):
        return skip
    return [
        dg.RunRequest(
            run_key=f"seal-{day.isoformat()}-{index}",
            partition_key=dg.MultiPartitionKey({DATE_DIMENSION: day.isoformat(), INDEX_DIMENSION: index}),
        )
        for index in INDEX_NAMES
    ]


@dg.schedule(
    job=weekday_master_job,
    cron_schedule="15 16 * * *",
    execution_timezone="Asia/Kolkata",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="16:15 IST on trading days: fold the day into the weekday master.",
)
def weekday_master_after_close(
    context: dg.ScheduleEvaluationContext, g6: G6Resource
) -> dg.RunRequest | dg.SkipReason:
    """One run for today's partition."""
    day = context.scheduled_execution_time.date()
    if skip := _not_a_trading_day(g6, day):
        return skip
    return dg.RunRequest(run_key=f"weekday-master-{day.isoformat()}", partition_key=day.isoformat())
