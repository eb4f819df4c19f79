"""The real calendar file, a synthetic market and a loopback Kite server serving it, as fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server

CONFIG = Path(__file__).resolve().parents[2] / "config"
SESSION_NOW = datetime(2026, 11, 19, 10, 5, 20, tzinfo=IST)


@pytest.fixture(scope="session")
def calendar() -> MarketCalendar:
    return MarketCalendar.load(CONFIG)


@pytest.fixture(scope="session")
def market(calendar: MarketCalendar) -> SyntheticMarket:
    return SyntheticMarket(6, calendar)


@pytest.fixture
def server(market: SyntheticMarket) -> Iterator[KiteServerHandle]:
    with kite_server(market, clock=lambda: SESSION_NOW) as handle:
        yield handle
