"""Fixtures shared by every test folder; each lives in `fakes/` beside the fake it sets up."""

from g6_pipeline_tests.fakes.config import g6_env
from g6_pipeline_tests.fakes.cycles import report_factory
from g6_pipeline_tests.fakes.location import location
from g6_pipeline_tests.fakes.market import calendar, market, server
from g6_pipeline_tests.fakes.production import postgres_server, production_home, production_instance
from g6_pipeline_tests.fakes.servers import prometheus, pushgateway, victoria_metrics

__all__ = [
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
