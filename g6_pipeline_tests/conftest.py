"""Fixtures shared by every test folder; each lives in `fakes/` beside the fake it sets up."""

import shutil

import pytest

from g6_pipeline_tests.fakes.browser import browser
from g6_pipeline_tests.fakes.config import g6_env
from g6_pipeline_tests.fakes.cycles import report_factory
from g6_pipeline_tests.fakes.location import location
from g6_pipeline_tests.fakes.market import calendar, market, server
from g6_pipeline_tests.fakes.production import postgres_server, production_home, production_instance
from g6_pipeline_tests.fakes.servers import prometheus, pushgateway, victoria_metrics

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


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A suite that passed leaves nothing under the system temp folder: besides each test's own folder (removed
    by the retention policy), the folders module- and session-scoped fixtures made go too. After a failure
    everything stays for one run, to look at."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if exitstatus != 0 or factory is None or session.config.option.basetemp:
        return
    try:
        base = factory.getbasetemp()
    except (OSError, ValueError):
        return
    shutil.rmtree(base, ignore_errors=True)
