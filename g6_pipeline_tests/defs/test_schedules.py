"""The after-close schedules: one request per index (or one for the weekday master) on trading days, a skip otherwise."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.daily.partitions import INDEX_NAMES
from g6_pipeline.defs.daily.schedules import seal_after_close, weekday_master_after_close
from g6_pipeline.defs.resources import G6Resource

REPO_CONFIG = Path(__file__).parents[2] / "config"
MONDAY = datetime(2026, 11, 23, 15, 45, tzinfo=IST)


def context(moment: datetime) -> dg.ScheduleEvaluationContext:
    return dg.build_schedule_context(
        scheduled_execution_time=moment, resources={"g6": G6Resource(config_dir=str(REPO_CONFIG))}
    )


def test_seal_requests_every_index_of_a_trading_day() -> None:
    requests = seal_after_close(context(MONDAY))
    assert isinstance(requests, list)
    assert [r.run_key for r in requests] == [f"seal-2026-11-23-{index}" for index in INDEX_NAMES]
    assert seal_after_close.cron_schedule == "45 15 * * *" and seal_after_close.job_name == "seal_day_job"


def test_weekday_master_requests_the_day() -> None:
    request = weekday_master_after_close(context(MONDAY.replace(hour=16, minute=15)))
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2026-11-23"
    assert weekday_master_after_close.execution_timezone == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("moment", "day"),
    [(datetime(2026, 11, 22, 15, 45, tzinfo=IST), "Sun 2026-11-22"),
     (datetime(2026, 11, 24, 15, 45, tzinfo=IST), "Tue 2026-11-24")],
)
def test_days_without_a_session_are_skipped(moment: datetime, day: str) -> None:
    for schedule in (seal_after_close, weekday_master_after_close):
        skip = schedule(context(moment))
        assert isinstance(skip, dg.SkipReason) and skip.skip_message == f"{day} is not a trading day"


def test_the_setup_is_built_once_per_process() -> None:
    first, second = G6Resource(config_dir=str(REPO_CONFIG)), G6Resource(config_dir=str(REPO_CONFIG))
    assert first.calendar() is second.calendar()
    assert first.setup().sinks is second.setup().sinks
