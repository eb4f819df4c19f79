"""Fixtures of the observability tests: real servers and the cycle reports that feed them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from g6_pipeline.report import CycleReport
from g6_pipeline_tests.fakes.servers import prometheus, pushgateway, victoria_metrics
from g6_pipeline_tests.observability.chains import make_report

__all__ = ["prometheus", "pushgateway", "victoria_metrics"]


@pytest.fixture
def report_factory() -> Callable[[], CycleReport]:
    """Builds the cycle report that `populated_prometheus` pushes.

    Today this assembles realistic enriched chains by hand; override this fixture with one that runs a real
    collection cycle (e.g. `g6 collect --once` against the synthetic provider) to test end to end from it.
    """
    return make_report
