from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import ExpiryTag
from g6_pipeline.instruments import InstrumentCache
from g6_pipeline.providers import ChainProvider, CircuitOpenError, TokenExpiredError
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.settings.model import IndexSettings, KiteSettings, Settings
from g6_pipeline_tests.fakes.kite_server import ACCESS_TOKEN, API_KEY, KiteServerHandle
from g6_pipeline_tests.fakes.market import SESSION_NOW

pytestmark = pytest.mark.slow


def provider(server: KiteServerHandle, tmp_path: Path, rate: float = 50.0, **kite: object) -> ChainProvider:
    settings = KiteSettings(root_url=server.url, timeout_seconds=kite.pop("timeout", 2.0), **kite)  # type: ignore[arg-type]
    store = TokenStore(tmp_path / ".kite_token")
    store.save(ACCESS_TOKEN, API_KEY, datetime(2026, 11, 19, 8, 0, tzinfo=IST))
    source = KiteSource(settings, store, bucket=TokenBucket(rate), backoff_base=0.01, clock=lambda: SESSION_NOW)
    return ChainProvider("kite", source, cache=InstrumentCache(tmp_path))


def nifty(strikes: int = 10, tags: tuple[ExpiryTag, ...] = ("this_week", "next_week")) -> dict[str, IndexSettings]:
    return {"NIFTY": IndexSettings(exchange="NFO", spot_key="NSE:NIFTY 50", strikes_below=strikes,
                                   strikes_above=strikes, expiry_tags=list(tags))}


def test_happy_path_and_dump_cache(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path)
    r = p.fetch(Settings().enabled_indices, SESSION_NOW)
    assert r.failures == {} and set(r.snapshots) == set(Settings().enabled_indices)
    s = r.snapshots["SENSEX"]
    assert s.timestamp == datetime(2026, 11, 19, 10, 5, tzinfo=IST) and s.spot > 0 and not s.missing
    assert set(s.legs["tradingsymbol"].str[:6]) == {"SENSEX"}
    assert p.stats.token_state == "valid" and p.stats.calls[("quote", "ok")] >= 2
    p2 = provider(server, tmp_path)
    p2.fetch(nifty(), SESSION_NOW)
    assert server.count("/instruments/NFO") == 1 and server.count("/instruments/BFO") == 1


def test_batches_of_500(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path)
    r = p.fetch(nifty(80, ("this_week", "next_week", "next_month")), SESSION_NOW)
    assert r.snapshots["NIFTY"].legs["tradingsymbol"].nunique() > 500
    quote_calls = [q for _, _, q in server.requests if q.startswith("/quote")]
    assert all(q.count("i=") <= 500 for q in quote_calls) and len(quote_calls) >= 3


def test_rate_limit_holds_under_four_indices(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path, rate=10.0)
    p.fetch(Settings().enabled_indices, SESSION_NOW)
    p.fetch(Settings().enabled_indices, SESSION_NOW)
    times = [t for t, _, q in server.requests if q.startswith("/quote")]
    assert len(times) >= 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.09
    assert p.stats.rate_limit_wait_seconds > 0


@pytest.mark.parametrize("kind", ["429", "502html", "drop", "no_content_type"])
def test_transient_faults_are_retried(server: KiteServerHandle, tmp_path: Path, kind: str) -> None:
    p = provider(server, tmp_path)
    p.fetch(nifty(), SESSION_NOW)
    server.fail_next("/quote", kind, times=2)
    r = p.fetch(nifty(), SESSION_NOW)
    assert "NIFTY" in r.snapshots and p.stats.retries == 2


def test_slow_response_times_out_and_retries(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path, timeout=0.3)
    p.fetch(nifty(), SESSION_NOW)
    server.fail_next("/quote", "slow", seconds=0.6)
    r = p.fetch(nifty(), SESSION_NOW)
    assert "NIFTY" in r.snapshots and p.stats.retries == 1
    assert any(res == "ReadTimeout" for (_, res) in p.stats.calls)


def test_token_exception_stops_without_retries(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path)
    p.fetch(nifty(), SESSION_NOW)
    server.fail_next("/quote", "token")
    before = server.count("/quote")
    with pytest.raises(TokenExpiredError, match="TokenException"):
        p.fetch(nifty(), SESSION_NOW)
    assert server.count("/quote") == before + 1 and p.stats.token_state == "expired"


def test_missing_quote_keys_are_missing_legs(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path)
    p.fetch(nifty(), SESSION_NOW)
    server.fail_next("/quote", "missing_keys", times=1, drop_keys=3)
    server.fail_next("/quote", "none")  # the spot call consumes nothing special
    server.faults["/quote"].rotate(1)
    r = p.fetch(nifty(), SESSION_NOW)
    s = r.snapshots["NIFTY"]
    assert len(s.missing) == 3 and not set(s.missing) & set(s.legs["tradingsymbol"])
    assert s.legs["last_price"].notna().all()


def test_unquoted_spot_is_a_failure(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path, max_retries=0)
    p.fetch(nifty(), SESSION_NOW)
    server.fail_next("/quote", "502html")
    r = p.fetch(nifty(), SESSION_NOW)
    assert r.snapshots == {} and "NIFTY 50" in r.failures["NIFTY"]


def test_circuit_opens_after_repeated_failures(server: KiteServerHandle, tmp_path: Path) -> None:
    p = provider(server, tmp_path, max_retries=1, circuit_breaker_failures=3, circuit_breaker_reset_seconds=60)
    p.fetch(nifty(), SESSION_NOW)
    server.fail_next("/quote", "429", times=10)
    with pytest.raises(CircuitOpenError):
        p.fetch(nifty(), SESSION_NOW)
        p.fetch(nifty(), SESSION_NOW)
    calls = server.count("/quote")
    with pytest.raises(CircuitOpenError):
        p.fetch(nifty(), SESSION_NOW)
    assert server.count("/quote") == calls and p.stats.circuit == "open"


def test_missing_or_expired_token(server: KiteServerHandle, tmp_path: Path) -> None:
    settings = KiteSettings(root_url=server.url)
    store = TokenStore(tmp_path / "none")
    with pytest.raises(TokenExpiredError, match="g6 token login"):
        ChainProvider("kite", KiteSource(settings, store, clock=lambda: SESSION_NOW)).fetch(nifty(), SESSION_NOW)
    store.save(ACCESS_TOKEN, API_KEY, datetime(2026, 11, 18, 9, 0, tzinfo=IST))
    p = ChainProvider("kite", KiteSource(settings, store, clock=lambda: SESSION_NOW))
    with pytest.raises(TokenExpiredError, match="expired"):
        p.fetch(nifty(), SESSION_NOW)
    assert p.stats.token_state == "expired" and server.count("/quote") == 0
