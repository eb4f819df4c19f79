"""The collection priority against the loopback Kite server: when the minute's quote time runs out, the indices
are collected and the stocks at the end of the order are skipped, each named with the reason.

Time is simulated: the rate limiter, Kite's retries and the provider's deadline all read one clock that moves
only when something waits, so one quote call costs exactly one second at Kite's 1 request/s.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.instruments import InstrumentCache
from g6_pipeline.providers import ChainProvider
from g6_pipeline.providers.base import FetchResult
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.settings.model import KiteSettings, Settings
from g6_pipeline_tests.fakes.kite_server import ACCESS_TOKEN, API_KEY, KiteServerHandle
from g6_pipeline_tests.fakes.market import SESSION_NOW

pytestmark = pytest.mark.slow
MINUTE = SESSION_NOW.replace(second=0)
DEADLINE = 12.0


class SimulatedTime:
    """Seconds since the minute, advanced by every wait."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def now(self) -> datetime:
        return MINUTE + timedelta(seconds=self.seconds)

    def monotonic(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.seconds += max(seconds, 0.0)


def fetch(server: KiteServerHandle, tmp_path: Path, settings: Settings) -> tuple[FetchResult, SimulatedTime, ChainProvider]:
    sim = SimulatedTime()
    store = TokenStore(tmp_path / ".kite_token")
    store.save(ACCESS_TOKEN, API_KEY, datetime(2026, 11, 19, 8, 0, tzinfo=IST))
    kite = KiteSettings(root_url=server.url, timeout_seconds=10.0, max_retries=3, requests_per_second=1.0)
    source = KiteSource(kite, store, bucket=TokenBucket(1.0, clock=sim.monotonic, sleep=sim.sleep), backoff_base=0.5,
                        sleep=sim.sleep, clock=lambda: SESSION_NOW)
    provider = ChainProvider("kite", source, cache=InstrumentCache(tmp_path / "dumps"), clock=sim.now,
                             deadline_seconds=DEADLINE)
    return provider.fetch(settings.enabled_indices, SESSION_NOW), sim, provider


def test_the_deadline_keeps_the_indices_and_skips_the_last_stocks(server: KiteServerHandle, tmp_path: Path) -> None:
    settings = Settings.model_validate({"underlyings": ["fo_stocks", "indices"]})
    order = list(settings.enabled_indices)
    assert order[:7] == ["NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX", "MIDCPNIFTY", "NIFTYNXT50", "BANKEX"]
    calm, sim, provider = fetch(server, tmp_path / "calm", settings)
    quoted = server.count("/quote")
    # no call started at or after the deadline: one a second from 0 s, the last at 11 s
    assert quoted == provider.stats.quote_calls == int(DEADLINE) and sim.seconds == pytest.approx(DEADLINE - 1, abs=0.5)
    collected, skipped = set(calm.snapshots), set(calm.skipped)
    assert set(order[:7]) <= collected and not calm.failures
    assert collected | skipped == set(order) and skipped
    # what is skipped is the end of the priority order, each with the reason
    first_skipped = min(order.index(n) for n in skipped)
    assert skipped == set(order[first_skipped:])
    assert all(reason.startswith("skipped: the minute's quote time ran out at 10:05:12") for reason in calm.skipped.values())
    assert max(s.fetched_at for s in calm.snapshots.values()) <= MINUTE + timedelta(seconds=DEADLINE)

    # two calls refused with 429 (Kite over its rate) cost their retries: fewer stocks fit, the indices still do
    server.fail_next("/quote", "429", times=2)
    busy, _, _ = fetch(server, tmp_path / "busy", settings)
    assert set(order[:7]) <= set(busy.snapshots)
    assert set(busy.snapshots) < collected and set(busy.skipped) > skipped
    assert set(busy.skipped) == set(order[min(order.index(n) for n in busy.skipped):])
