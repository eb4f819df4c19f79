"""The simulated quotes as a trader reads them: call and put IVs of one strike differ as real quotes do, and
put-call parity holds within the quoted spreads (checked with an independent Black-76, py_vollib)."""

from __future__ import annotations

import math
from datetime import date, datetime, time

import numpy as np
import pandas as pd
import pytest
from vollib.black.implied_volatility import implied_volatility

from g6_pipeline.analytics import enrich
from g6_pipeline.core.clock import IST
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings.model import Settings

DAY = date(2026, 11, 19)
RATE = 0.065  # the simulated market's rate (providers/synthetic/README.md)
MINUTES = [time(9, 30), time(11, 0), time(13, 45), time(15, 29)]
DAY_YEARS = 1 / 365


def _sides(legs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    ce = legs[legs.side == "CE"].set_index("strike").sort_index()
    pe = legs[legs.side == "PE"].set_index("strike").sort_index()
    return ce, pe.loc[ce.index]


def _years(expiry: date, at: datetime) -> float:
    return (datetime.combine(expiry, time(15, 30), IST) - at).total_seconds() / (365 * 86400)


@pytest.fixture(scope="module")
def day(market: SyntheticMarket) -> dict[str, list]:
    return market.day_snapshots(Settings().enabled_indices, DAY)


def test_one_forward_fits_every_strike_within_its_quoted_spread(day: dict[str, list]) -> None:
    """C − P = DF·(F − K) at every strike, within the quotes: the forwards each strike's band allows,
    (C_bid − P_ask)/DF + K ≤ F ≤ (C_ask − P_bid)/DF + K, have one forward in common."""
    checked = 0
    for snaps in day.values():
        for snap in snaps[::25]:
            for _, legs in snap.legs.groupby("expiry_tag"):
                ce, pe = _sides(legs)
                df = math.exp(-RATE * _years(legs.expiry.iloc[0], snap.timestamp))
                k = ce.index.to_numpy()
                low = (ce.bid.fillna(0.0).to_numpy() - pe.ask.to_numpy()) / df + k
                high = (ce.ask.to_numpy() - pe.bid.fillna(0.0).to_numpy()) / df + k
                assert low.max() <= high.min() + 1e-6, (snap.index, snap.timestamp, low.max() - high.min())
                forward = (low.max() + high.min()) / 2
                # the last trades too: C − P off parity by no more than the two half-spreads
                gap = np.abs(ce.last_price - pe.last_price - df * (forward - k)).to_numpy()
                halves = ((ce.ask - ce.bid.fillna(0.0)) + (pe.ask - pe.bid.fillna(0.0))).to_numpy()
                assert np.all(gap <= halves + 1e-6)
                checked += 1
    assert checked > 50


def test_call_and_put_ivs_of_a_strike_differ_a_little(day: dict[str, list]) -> None:
    """At the money ± 5 strikes, before the expiry day (in its last hours any IV is noise), the
    call's and the put's IV solved from their last prices on the forward parity gives are not equal (no real
    chain quotes them equal to four decimals), nor a vol point apart; the IVs G6 itself stores likewise."""
    independent: list[float] = []
    stored: list[float] = []
    for name in ("NIFTY", "BANKNIFTY", "SENSEX"):
        for snap in day[name]:
            if snap.timestamp.time() not in MINUTES:
                continue
            chain = enrich(snap, RATE).options
            chain = chain[chain.t_years > DAY_YEARS]
            for _, legs in snap.legs.groupby("expiry_tag"):
                ce, pe = _sides(legs)
                t = _years(legs.expiry.iloc[0], snap.timestamp)
                if t <= DAY_YEARS:
                    continue
                df = math.exp(-RATE * t)
                k = ce.index.to_numpy()
                forward = float(np.median((ce.last_price - pe.last_price).to_numpy() / df + k))
                near = np.argsort(np.abs(k - forward))[:11]
                for i in near:
                    c = implied_volatility(float(ce.last_price.iloc[i]), forward, float(k[i]), RATE, t, "c")
                    p = implied_volatility(float(pe.last_price.iloc[i]), forward, float(k[i]), RATE, t, "p")
                    independent.append(p - c)
            ivs = chain.pivot_table(index=["expiry_tag", "strike"], columns="side", values="iv")
            atm = chain.groupby("expiry_tag")["atm"].first()
            step = 5 * float(np.diff(sorted(set(chain.strike)))[0])
            flat = ivs.reset_index()
            for tag, strike, put, call in zip(flat["expiry_tag"], flat["strike"], flat["PE"], flat["CE"], strict=True):
                if abs(float(strike) - float(atm[tag])) <= step:
                    stored.append(put - call)
    for diffs in (np.array(independent), np.array(stored)):
        assert len(diffs) > 100
        assert np.mean(np.abs(diffs) >= 0.00005) > 0.75, "most strikes' IVs differ in the fourth decimal"
        assert np.all(np.abs(diffs) < 0.01), "and none by a vol point"
        assert 0.0001 < np.median(np.abs(diffs)) < 0.005
