"""After the close: seal each index's day, then fold the day into the weekday master."""


from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from g6_pipeline.collection.run_tags import DAILY_TAGS
from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.defs.daily.assets import option_chain_daily, overview_daily, weekday_master
from g6_pipeline.defs.daily.partitions import DATE_DIMENSION, INDEX_DIMENSION, INDEX_NAMES
from g6_pipeline.defs.resources import G6Resource

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

seal_day_job = dg.define_asset_job(
    "seal_day_job", selection=[option_chain_daily, overview_daily], tags=DAILY_TAGS,
    description="Seal one (day, index): the day's option chain and overview.",
)
weekday_master_job = dg.define_asset_job(
    "weekday_master_job", selection=[weekday_master], tags=DAILY_TAGS,
    description="Fold trading days into the weekday master.",
)

Requests = dg.RunRequest | list[dg.RunRequest]


def on_trading_days(
    job: "UnresolvedAssetJobDefinition", cron: str, description: str
) -> Callable[[Callable[[date], Requests]], dg.ScheduleDefinition]:
    """A schedule (named after the decorated function) that runs `job` at `cron` IST with the function's
    requests for the day, and skips, saying so, on days without a session."""

    def wrap(requests: Callable[[date], Requests]) -> dg.ScheduleDefinition:
        @dg.schedule(
            name=requests.__name__,
            job=job,
            cron_schedule=cron,
            execution_timezone=MARKET_TZ_NAME,
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=description,
        )
        def schedule(context: dg.ScheduleEvaluationContext, g6: G6Resource) -> Requests | dg.SkipReason:
            day = context.scheduled_execution_time.date()
            if not g6.calendar().is_trading_day(day):
                return dg.SkipReason(f"{day:%a %Y-%m-%d} is not a trading day")
            return requests(day)

        return schedule

    return wrap


@on_trading_days(seal_day_job, "45 15 * * *", "15:45 IST on trading days: seal the day for every enabled index.")
def seal_after_close(day: date) -> list[dg.RunRequest]:
    """One run per index for today's partition."""
    return [
        dg.RunRequest(
            run_key=f"seal-{day.isoformat()}-{index}",
            partition_key=dg.MultiPartitionKey({DATE_DIMENSION: day.isoformat(), INDEX_DIMENSION: index}),
        )
        for index in INDEX_NAMES
    ]


@on_trading_days(weekday_master_job, "15 16 * * *", "16:15 IST on trading days: fold the day into the weekday master.")
def weekday_master_after_close(day: date) -> dg.RunRequest:
    """One run for today's partition."""
    return dg.RunRequest(run_key=f"weekday-master-{day.isoformat()}", partition_key=day.isoformat())
