"""Real collection cycles through the loopback Kite server, as the metrics tests push them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import CycleReport
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import kite_server

REPORT_MINUTE = datetime(2026, 11, 23, 11, 0, tzinfo=IST)


@pytest.fixture
def report_factory(tmp_path: Path) -> Iterator[Callable[..., CycleReport]]:
    """Real collection cycles, as `populated_prometheus` pushes them.

    The kite provider (the real `kiteconnect` client) collects from the loopback Kite server, which answers
    each cycle's first quote call with HTTP 429 (retried), so provider errors, retries and latencies are real
    too; the cycle writes real Parquet and CSV. Metrics are pushed by the test, not by the cycle.
    """
    clock = {"now": REPORT_MINUTE}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        collector = Collector.from_settings(load_settings(write_kite_config(tmp_path, server.url)))
        collector.publishers = []

        def factory(minute: datetime = REPORT_MINUTE) -> CycleReport:
            clock["now"] = minute
            server.fail_next("/quote", "429")
            return run_cycle(collector, minute)

        yield factory
