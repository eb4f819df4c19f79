"""The minute data and the daily assets (trading day × index), their checks, and the schedules after the close."""

import dagster as dg

from g6_pipeline.defs.daily.assets import option_chain_daily, overview_daily, weekday_master
from g6_pipeline.defs.daily.minutes import option_chain_minutes
from g6_pipeline.defs.daily.schedules import (
    seal_after_close,
    seal_day_job,
    weekday_master_after_close,
    weekday_master_job,
)

defs = dg.Definitions(
    assets=[option_chain_minutes, option_chain_daily, overview_daily, weekday_master],
    jobs=[seal_day_job, weekday_master_job],
    schedules=[seal_after_close, weekday_master_after_close],
)
