"""What the collection cycle and the Dagster layer call: record an outcome and push it to the Pushgateway.

With no Pushgateway configured (`metrics.pushgateway_url` / `G6_PUSHGATEWAY_URL` unset) nothing is pushed and
the outcome says so. None of these functions raises for an unreachable or failing gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from g6_pipeline.core.report import CycleReport
from g6_pipeline.metrics.pusher import PushGroup, PushOutcome, push_groups
from g6_pipeline.metrics.recorder import (
    record_asset_check,
    record_cycle,
    record_day_minutes,
    record_weekday_master,
)
from g6_pipeline.settings.model import Settings


def _push(settings: Settings, record: Callable[[], list[PushGroup]]) -> PushOutcome:
    """Record and push when a Pushgateway is configured; otherwise record nothing and report the skip."""
    url = settings.metrics.pushgateway_url
    if url is None:
        return PushOutcome(skipped=True)
    return push_groups(url, record())


def push_cycle(report: CycleReport, settings: Settings) -> PushOutcome:
    """Record one collection cycle and push it (job `g6_collection`, one group per index plus `index="all"`)."""
    return _push(settings, lambda: record_cycle(report, settings))


def push_weekday_master(
    index: str,
    rows: int,
    issues_by_severity: Mapping[str, int],
    settings: Settings,
    finished_at: datetime | None = None,
) -> PushOutcome:
    """Push the outcome of one weekday-master run of one index (job `g6_weekday_master`)."""
    at = finished_at or datetime.now(UTC)
    return _push(settings, lambda: [record_weekday_master(index, rows, issues_by_severity, at, settings)])


def push_asset_check(
    check: str, index: str, passed: bool, settings: Settings, finished_at: datetime | None = None
) -> PushOutcome:
    """Push the outcome of one asset-check evaluation (job `g6_asset_checks`, grouped by index and check)."""
    at = finished_at or datetime.now(UTC)
    return _push(settings, lambda: [record_asset_check(check, index, passed, at, settings)])


def push_day_minutes(index: str, day_open: datetime, minutes: Mapping[str, int], settings: Settings) -> PushOutcome:
    """Push the minutes of one sealed day of one index, live, repaired and missing (job `g6_sealed_days`)."""
    return _push(settings, lambda: [record_day_minutes(index, day_open, minutes, settings)])
