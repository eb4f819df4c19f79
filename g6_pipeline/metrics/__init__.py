"""Prometheus metrics of G6: the catalogue, the recorder of a cycle's outcome and the Pushgateway push."""

from g6_pipeline.metrics.catalogue import CATALOGUE, MetricSpec
from g6_pipeline.metrics.publish import push_asset_check, push_cycle, push_day_minutes, push_weekday_master
from g6_pipeline.metrics.pusher import PushOutcome
from g6_pipeline.metrics.recorder import record_cycle

__all__ = [
    "CATALOGUE",
    "MetricSpec",
    "PushOutcome",
    "push_asset_check",
    "push_cycle",
    "push_day_minutes",
    "push_weekday_master",
    "record_cycle",
]
