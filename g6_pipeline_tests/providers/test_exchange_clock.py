"""The exchange's clock decides what is fresh, through the real `kiteconnect` client and the loopback Kite server:
every leg carries its quote's exchange timestamp and last trade time, a frozen feed is stale (legs flagged, the
index's quote age above the threshold), and a minute whose quotes all carry an earlier session's time is the
exchange being closed (no snapshot at all)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.instruments import InstrumentCache
from g6_pipeline.providers import ChainProvider
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.settings.model import IndexSettings, KiteSettings
from g6_pipeline_tests.fakes.kite_server import ACCESS_TOKEN, API_KEY, KiteServerHandle
from g6_pipeline_tests.fakes.market import SESSION_NOW

pytestmark = pytest.mark.slow

MINUTE = SESSION_NOW.replace(second=0)
"""Thu 2026-11-19 10:05: the loopback market stamps each quote with its minute, so a live quote is 20 s old."""
INDICES = {
    "NIFTY": IndexSettings(exchange="NFO", spot_key="NSE:NIFTY 50", strikes_below=3, strikes_above=3,
                           expiry_tags=["this_week"]),
    "SENSEX": IndexSettings(exchange="BFO", spot_key="BSE:SENSEX", strikes_below=3, strikes_above=3,
                            expiry_tags=["this_week"]),
}


def provider(server: KiteServerHandle, tmp_path: Path, stale_after: float = 120.0) -> ChainProvider:
    store = TokenStore(tmp_path / ".kite_token")
    store.save(ACCESS_TOKEN, API_KEY, SESSION_NOW.replace(hour=8))
    source = KiteSource(KiteSettings(root_url=server.url, timeout_seconds=2.0), store, bucket=TokenBucket(50.0),
                        backoff_base=0.01, clock=lambda: SESSION_NOW)
    return ChainProvider("kite", source, cache=InstrumentCache(tmp_path), stale_after=stale_after)


def test_every_leg_carries_its_exchange_timestamp_and_last_trade_time(server: KiteServerHandle, tmp_path: Path) -> None:
    result = provider(server, tmp_path).fetch(INDICES, SESSION_NOW)
    assert set(result.snapshots) == set(INDICES) and not result.closed
    for snap in result.snapshots.values():
        legs = snap.legs
        assert (legs["exchange_timestamp"] == pd.Timestamp(MINUTE)).all()
        assert str(legs["exchange_timestamp"].dt.tz) == "Asia/Kolkata"
        traded = legs["volume"] > 0  # the market stamps a last trade on every contract that has traded
        assert traded.any() and (legs.loc[traded, "last_trade_time"] == pd.Timestamp(MINUTE)).all()
        assert legs.loc[~traded, "last_trade_time"].isna().all()
        assert legs["stale"].dtype == "boolean" and not legs["stale"].any()
        assert snap.exchange_timestamp == MINUTE and snap.quote_age_seconds == 20.0 and snap.stale is False


@pytest.mark.parametrize(
    ("frozen_for", "stale_after", "stale"),
    [
        (timedelta(minutes=3), 120.0, True),  # frozen at 10:02:00, fetched at 10:05:20: 200 s
        (timedelta(minutes=1), 120.0, False),  # 80 s: still within two minutes
        (timedelta(minutes=1), 60.0, True),  # the threshold is a setting
    ],
)
def test_a_frozen_feed_is_stale(
    server: KiteServerHandle, tmp_path: Path, frozen_for: timedelta, stale_after: float, stale: bool
) -> None:
    frozen = MINUTE - frozen_for
    server.freeze(frozen)
    result = provider(server, tmp_path, stale_after).fetch(INDICES, SESSION_NOW)
    assert set(result.snapshots) == set(INDICES) and not result.failures and not result.closed
    for snap in result.snapshots.values():
        age = (SESSION_NOW - frozen).total_seconds()
        assert snap.quote_age_seconds == age and snap.stale is stale
        assert (snap.legs["exchange_timestamp"] == pd.Timestamp(frozen)).all()
        assert snap.legs["stale"].tolist() == [stale] * len(snap.legs) and snap.legs_stale == (len(snap.legs) if stale else 0)
        assert snap.legs["last_price"].notna().all()  # the exchange's last prices are kept, flagged, never dropped


def test_every_quote_from_an_earlier_session_is_the_exchange_closed(server: KiteServerHandle, tmp_path: Path) -> None:
    server.close_exchange(datetime(2026, 11, 18, 15, 29, tzinfo=IST))  # Wednesday's last minute, asked on Thursday
    result = provider(server, tmp_path).fetch(INDICES, SESSION_NOW)
    assert result.snapshots == {} and result.failures == {}
    assert set(result.closed) == set(INDICES)
    reason = result.closed["NIFTY"]
    assert reason.startswith("exchange closed: all ") and "2026-11-19 10:05 carry an earlier session's time" in reason
    assert "the latest 2026-11-18 15:29:00 IST" in reason
    server.freeze(None)
    assert set(provider(server, tmp_path).fetch(INDICES, SESSION_NOW).snapshots) == set(INDICES)
