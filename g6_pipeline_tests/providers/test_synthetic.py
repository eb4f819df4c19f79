from __future__ import annotations

from datetime import date, datetime

import numpy as np
from scipy.signal import lfilter

from g6_pipeline.core.clock import IST
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.providers.synthetic.paths import ar1
from g6_pipeline.providers.synthetic.pricing import RATE
from g6_pipeline.settings.model import Settings

DAY = date(2026, 11, 19)


def test_whole_day_complete(market: SyntheticMarket) -> None:
    days = market.day_snapshots(Settings().enabled_indices, date(2026, 11, 18))
    assert {k: len(v) for k, v in days.items()} == {k: 375 for k in Settings().enabled_indices}
    snap = days["NIFTY"][0]
    assert snap.timestamp == datetime(2026, 11, 18, 9, 15, tzinfo=IST) and not snap.missing


def test_ar1_is_the_recursive_filter_bit_for_bit() -> None:
    np.testing.assert_array_equal(ar1(np.array([1.0, 2.0, 0.0]), 0.5, 0.25), [0.5, 1.125, 0.28125])
    shocks = np.random.default_rng(3).standard_normal(5000)
    assert np.array_equal(ar1(shocks, 0.08, 0.97), lfilter([0.08], [1.0, -0.97], shocks))


def test_minute_path_matches_day_block(market: SyntheticMarket) -> None:
    snaps = market.day_snapshots(Settings().enabled_indices, DAY)
    for name, ex in (("NIFTY", "NFO"), ("SENSEX", "BFO")):
        s = snaps[name][200]
        q = market.quote([f"{ex}:{x}" for x in s.legs["tradingsymbol"]], s.timestamp)
        for col in ("last_price", "oi", "volume"):
            got = np.array([q[f"{ex}:{x}"][col] for x in s.legs["tradingsymbol"]], dtype=float)
            assert np.array_equal(got, s.legs[col].to_numpy()), col


def test_same_seed_same_quotes(calendar) -> None:  # type: ignore[no-untyped-def]
    a, b = SyntheticMarket(11, calendar), SyntheticMarket(11, calendar)
    keys = ["NSE:NIFTY 50", "BSE:SENSEX"]
    ts = datetime(2026, 11, 19, 11, 0, tzinfo=IST)
    assert a.quote(keys, ts) == b.quote(keys, ts)
    assert a.quote(keys, ts) != SyntheticMarket(12, calendar).quote(keys, ts)


def test_no_static_arbitrage(market: SyntheticMarket) -> None:
    """No butterfly or call/put spread can be bought for less than nothing at the quoted prices; the last
    trade lies inside the quoted band; calls and puts agree with one forward within their spreads."""
    snaps = market.day_snapshots(Settings().enabled_indices, DAY)
    for name in Settings().enabled_indices:
        for s in snaps[name][::60]:
            for _tag, part in s.legs.groupby("expiry_tag"):
                ce = part[part.side == "CE"].set_index("strike").sort_index()
                pe = part[part.side == "PE"].set_index("strike").sort_index()
                k = ce.index.to_numpy()
                even = np.isclose(np.diff(k)[1:], np.diff(k)[:-1])
                for leg, rising in ((ce, False), (pe, True)):
                    bid, ask = leg.bid.fillna(0.0).to_numpy(), leg.ask.to_numpy()  # no bid: sells for nothing
                    assert np.all((leg.last_price >= leg.bid.fillna(0.0)) & (leg.last_price <= leg.ask))
                    cheap, dear = (bid[:-1], ask[1:]) if rising else (bid[1:], ask[:-1])
                    assert np.all(dear >= cheap - 1e-9), "the nearer-the-money side never quotes below the other"
                    fly = (ask[:-2] - 2 * bid[1:-1] + ask[2:])[even]
                    assert np.all(fly >= -1e-9), "a butterfly bought at the quotes never pays"
                c_mid = ((ce.bid.where(ce.bid > 0, 0) + ce.ask) / 2).to_numpy()
                p_mid = ((pe.bid.where(pe.bid > 0, 0) + pe.ask) / 2).to_numpy()
                expiry = part.expiry.iloc[0]
                t = (datetime(expiry.year, expiry.month, expiry.day, 15, 30, tzinfo=IST) - s.timestamp).total_seconds() / (365 * 86400)
                df = np.exp(-RATE * t)
                fwd = np.median((c_mid - p_mid) / df + k)
                spread = (ce.ask - ce.bid.fillna(0)).to_numpy() + (pe.ask - pe.bid.fillna(0)).to_numpy()  # no bid: 0
                atm = np.abs(k - fwd) < 10 * (k[1] - k[0])
                assert np.all(np.abs(c_mid - p_mid - df * (fwd - k))[atm] <= spread[atm] / 2 + 0.1)


def test_quotes_flow_at_night_and_weekends(market: SyntheticMarket) -> None:
    night = [datetime(2026, 11, 21, 2, m, tzinfo=IST) for m in (0, 1)]  # a Saturday
    q = [market.quote(["NSE:NIFTY 50"], t)["NSE:NIFTY 50"]["last_price"] for t in night]
    assert all(p > 0 for p in q) and q[0] != q[1]
