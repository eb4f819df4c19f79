"""`KiteSource.historical`: the real `kiteconnect` client against the loopback server's historical route."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.providers import ProviderError, TokenExpiredError
from g6_pipeline.providers.base import PermissionDeniedError
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.settings.model import KiteSettings
from g6_pipeline_tests.fakes.kite_server import ACCESS_TOKEN, API_KEY, KiteServerHandle
from g6_pipeline_tests.fakes.market import SESSION_NOW

pytestmark = pytest.mark.slow

OPEN = SESSION_NOW.replace(hour=9, minute=15, second=0)
ROUTE = "/instruments/historical/"


def source(server: KiteServerHandle, tmp_path: Path) -> KiteSource:
    store = TokenStore(tmp_path / ".kite_token")
    store.save(ACCESS_TOKEN, API_KEY, datetime(2026, 11, 19, 8, 0, tzinfo=IST))
    return KiteSource(KiteSettings(root_url=server.url, timeout_seconds=2, max_retries=1), store,
                      backoff_base=0.01, clock=lambda: SESSION_NOW, historical_bucket=TokenBucket(50))


def option(market: SyntheticMarket) -> tuple[int, str]:
    dump = market.instruments("NFO", SESSION_NOW.date())
    calls = dump.loc[(dump["name"] == "NIFTY") & (dump["instrument_type"] == "CE")]
    row = calls.iloc[len(calls) // 4]
    return int(row["instrument_token"]), f"NFO:{row['tradingsymbol']}"


def test_candles_are_the_markets_minutes_with_oi(server: KiteServerHandle, market: SyntheticMarket, tmp_path: Path) -> None:
    token, key = option(market)
    candles = source(server, tmp_path).historical(token, OPEN, OPEN + timedelta(minutes=4))
    assert [c["date"] for c in candles] == [OPEN + timedelta(minutes=i) for i in range(5)]
    assert all(c["date"].utcoffset() == timedelta(hours=5, minutes=30) for c in candles)
    quotes = [market.quote([key], c["date"])[key] for c in candles]
    assert [c["close"] for c in candles] == [q["last_price"] for q in quotes]
    assert [c["oi"] for c in candles] == [q["oi"] for q in quotes]
    assert sum(c["volume"] for c in candles) == quotes[-1]["volume"]
    assert server.count(ROUTE) == 1
    _, _, path = server.requests[-1]
    assert path.startswith(f"{ROUTE}{token}/minute?") and "oi=1" in path and "continuous=0" in path
    assert "from=2026-11-19+09%3A15%3A00" in path and "to=2026-11-19+09%3A19%3A00" in path


def test_without_oi_a_candle_has_six_values(server: KiteServerHandle) -> None:
    token = SPECS["NIFTY"].spot_token
    request = urllib.request.Request(
        f"{server.url}{ROUTE}{token}/minute?from=2026-11-19+09:15:00&to=2026-11-19+09:16:00&continuous=0&oi=0",
        headers={"X-Kite-Version": "3", "Authorization": f"token {API_KEY}:{ACCESS_TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success"
    candles = body["data"]["candles"]
    assert [c[0] for c in candles] == ["2026-11-19T09:15:00+0530", "2026-11-19T09:16:00+0530"]
    assert all(len(c) == 6 for c in candles)


def test_errors_map_to_their_meaning(server: KiteServerHandle, market: SyntheticMarket, tmp_path: Path) -> None:
    kite = source(server, tmp_path)
    token, _ = option(market)
    server.fail_next(ROUTE, "permission")
    with pytest.raises(PermissionDeniedError, match="Insufficient permission"):
        kite.historical(token, OPEN, OPEN)
    server.fail_next(ROUTE, "token")
    with pytest.raises(TokenExpiredError):
        kite.historical(token, OPEN, OPEN)
    server.fail_next(ROUTE, "429")
    assert len(kite.historical(token, OPEN, OPEN)) == 1 and kite.stats.retries == 1
    with pytest.raises(ProviderError, match="invalid token") as unknown:
        kite.historical(123, OPEN, OPEN)
    assert not isinstance(unknown.value, PermissionDeniedError)
    assert server.count(ROUTE) == 5  # permission and token errors are not retried, the 429 once
