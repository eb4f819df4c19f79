"""Full-chain PCR and max pain against the loopback Kite server, the call budget, and the calls a minute costs.

The expected figures are worked out here from the server's own `/quote` answers over every listed strike.
"""

from __future__ import annotations

import gzip
import io
import math
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import requests

from g6_pipeline.analytics import enrich_many
from g6_pipeline.providers import ChainProvider
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.settings.model import KiteSettings, Settings
from g6_pipeline_tests.fakes.kite_server import ACCESS_TOKEN, API_KEY, KiteServerHandle
from g6_pipeline_tests.fakes.market import SESSION_NOW
from g6_pipeline_tests.providers.test_kite_provider import provider

pytestmark = pytest.mark.slow
HEADERS = {"X-Kite-Version": "3", "Authorization": f"token {API_KEY}:{ACCESS_TOKEN}"}


def server_chain(server: KiteServerHandle, exchange: str, name: str, expiry: date) -> dict[float, dict[str, float]]:
    """strike → {CE, PE OI and volume} of every listed contract of one expiry, straight from the server."""
    raw = requests.get(f"{server.url}/instruments/{exchange}", headers=HEADERS, timeout=5).content
    dump = pd.read_csv(io.BytesIO(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw))
    dump = dump[(dump["name"] == name) & (dump["expiry"] == expiry.isoformat()) & dump["instrument_type"].isin(["CE", "PE"])]
    keys = [f"{exchange}:{s}" for s in dump["tradingsymbol"]]
    quotes: dict[str, dict] = {}
    for i in range(0, len(keys), 500):
        answer = requests.get(f"{server.url}/quote", params=[("i", k) for k in keys[i : i + 500]], headers=HEADERS, timeout=5)
        quotes.update(answer.json()["data"])
    out: dict[float, dict[str, float]] = defaultdict(dict)
    for key, (strike, side) in zip(keys, zip(dump["strike"], dump["instrument_type"], strict=True), strict=True):
        item = quotes[key]
        out[float(strike)][f"{side}_oi"] = float(item["oi"])
        out[float(strike)][f"{side}_volume"] = float(item["volume"])
    return dict(out)


def by_hand(chain: dict[float, dict[str, float]]) -> tuple[float, float, float]:
    """(PCR of OI, PCR of volume, max pain) over every strike, the long way."""
    pcr = sum(v["PE_oi"] for v in chain.values()) / sum(v["CE_oi"] for v in chain.values())
    pcr_volume = sum(v["PE_volume"] for v in chain.values()) / sum(v["CE_volume"] for v in chain.values())
    pain = {s: sum(v["CE_oi"] * max(s - k, 0) + v["PE_oi"] * max(k - s, 0) for k, v in chain.items()) for s in chain}
    return pcr, pcr_volume, min(pain, key=lambda s: (pain[s], s))


def test_full_chain_pcr_and_max_pain_match_the_whole_chain(server: KiteServerHandle, tmp_path: Path) -> None:
    indices = {name: ix for name, ix in Settings().enabled_indices.items() if name in ("NIFTY", "BANKNIFTY")}
    snapshots = provider(server, tmp_path).fetch(indices, SESSION_NOW).snapshots
    for chain in enrich_many(list(snapshots.values()), 0.065):
        snap, row = chain.snapshot, chain.overview
        for tag, expiry in snap.expiries.items():
            whole = server_chain(server, "NFO", snap.index, expiry)
            stored = set(snap.legs.loc[snap.legs["expiry_tag"] == tag, "strike"])
            assert len(whole) > len(stored) >= 21  # the chain is wider than the stored window
            pcr, pcr_volume, pain = by_hand(whole)
            assert row[f"pcr_scope_{tag}"] == "full"
            assert row[f"chain_pcr_{tag}"] == pytest.approx(pcr, rel=1e-12)
            assert row[f"chain_pcr_volume_{tag}"] == pytest.approx(pcr_volume, rel=1e-12)
            assert row[f"chain_max_pain_{tag}"] == pain
            # the stored window reaches both 25-delta wings, so the smile figures exist
            assert math.isfinite(row[f"rr25_{tag}"]) and math.isfinite(row[f"bf25_{tag}"])


def virtual_source(server: KiteServerHandle, tmp_path: Path) -> tuple[KiteSource, list[float]]:
    """A Kite source at the default 1 request/s whose bucket waits on a virtual clock (returned, in seconds)."""
    virtual = [0.0]

    def advance(seconds: float) -> None:
        virtual[0] += seconds

    settings = KiteSettings(root_url=server.url, timeout_seconds=5.0)
    store = TokenStore(tmp_path / ".kite_token")
    store.save(ACCESS_TOKEN, API_KEY, SESSION_NOW.replace(hour=8))
    bucket = TokenBucket(settings.requests_per_second, clock=lambda: virtual[0], sleep=advance)
    return KiteSource(settings, store, bucket=bucket, clock=lambda: SESSION_NOW), virtual


def test_chains_beyond_the_budget_fall_back_to_the_window(server: KiteServerHandle, tmp_path: Path) -> None:
    source, _ = virtual_source(server, tmp_path)
    indices = {n: ix for n, ix in Settings().enabled_indices.items() if n in ("NIFTY", "SENSEX")}
    ChainProvider("kite", source).fetch(indices, SESSION_NOW)  # the dumps
    before = server.count("/quote")
    snapshots = ChainProvider("kite", source, quote_seconds=4.0).fetch(indices, SESSION_NOW).snapshots
    assert server.count("/quote") - before <= 4  # 4 s at 1 request/s
    scopes = []
    for chain in enrich_many(list(snapshots.values()), 0.065):
        row = chain.overview
        for tag in chain.snapshot.expiries:
            scopes.append(row[f"pcr_scope_{tag}"])
            if row[f"pcr_scope_{tag}"] == "window":
                assert row[f"chain_pcr_{tag}"] == row[f"pcr_{tag}"]
                assert row[f"chain_max_pain_{tag}"] == row[f"max_pain_{tag}"]
    assert "full" in scopes and "window" in scopes
    tight = ChainProvider("kite", source, quote_seconds=3.0).fetch(indices, SESSION_NOW).snapshots
    assert all(s.chain is None for s in tight.values())  # spot call and two window calls: no room left
    assert {n: len(s.legs) for n, s in tight.items()} == {n: len(s.legs) for n, s in snapshots.items()}


def test_calls_and_seconds_a_minute_for_the_default_indices(server: KiteServerHandle, tmp_path: Path) -> None:
    """The default four indices at Kite's 1 request/s (waits counted on a virtual clock, HTTP time measured)."""
    source, virtual = virtual_source(server, tmp_path)
    p = ChainProvider("kite", source)
    p.fetch(Settings().enabled_indices, SESSION_NOW)  # the day's dumps, outside the minute
    before = server.count("/quote")
    virtual[0] += 60.0  # the next minute: the bucket has refilled
    started = time.perf_counter()
    snapshots = p.fetch(Settings().enabled_indices, SESSION_NOW).snapshots
    http = time.perf_counter() - started
    calls = server.count("/quote") - before
    stored = sum(len(s.legs) for s in snapshots.values())
    chain = sum(len(s.chain) for s in snapshots.values() if s.chain is not None)
    print(f"\nquote calls a minute: {calls}; option legs stored {stored}, full-chain rows {chain}; "
          f"rate-limit waits {p.stats.rate_limit_wait_seconds:.1f} s + HTTP {http:.2f} s = "
          f"{p.stats.rate_limit_wait_seconds + http:.1f} s a minute at 1 request/s")
    assert calls <= 20  # the default budget: 20 s at 1 request/s
    assert all(s.chain is not None and set(s.chain["expiry_tag"]) == set(s.expiries) for s in snapshots.values())
