"""Fixtures shared by every test folder; each lives in `fakes/` beside the fake it sets up."""

import os

from g6_pipeline_tests.fakes.browser import browser
from g6_pipeline_tests.fakes.config import g6_env
from g6_pipeline_tests.fakes.cycles import report_factory
from g6_pipeline_tests.fakes.location import location
from g6_pipeline_tests.fakes.market import calendar, market, server
from g6_pipeline_tests.fakes.production import postgres_server, production_home, production_instance
from g6_pipeline_tests.fakes.servers import prometheus, pushgateway, victoria_metrics

# the daily partitions start at `storage.history_start`; tests materialize fixed days of 2025-2026
os.environ.setdefault("G6_HISTORY_START", "2025-01-01")

__all__ = [
    "browser",
    "calendar",
    "g6_env",
    "location",
    "market",
    "postgres_server",
    "production_home",
    "production_instance",
    "prometheus",
    "pushgateway",
    "report_factory",
    "server",
    "victoria_metrics",
]
