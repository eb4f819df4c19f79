"""Implied volatility against vollib (Let's Be Rational) and QuantLib, on random and hard cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from QuantLib import Option, blackFormula, blackFormulaImpliedStdDev

from g6_pipeline.analytics import IVStatus, implied_vol, implied_vol_with_status
from g6_pipeline.analytics.iv import implied_vol_black76, implied_vol_black76_with_status
from g6_pipeline.core.schema import IV_STATUSES
from g6_pipeline_tests.analytics.reference import (
    MINUTE,
    random_cases,
    vollib_implied_vol,
    vollib_price,
    vollib_prices,
)

RTOL = 1e-9
ATOL = 1e-10


def _vega(spot: np.ndarray, strike: np.ndarray, t: np.ndarray, rate: np.ndarray, vol: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Closed-form ∂price/∂σ (per unit σ), for judging how much information a price carries about σ."""
    sd = vol * np.sqrt(t)
    d1 = (np.log(spot / strike) + (rate - q) * t) / sd + 0.5 * sd
    return spot * np.exp(-q * t - 0.5 * d1 * d1) * np.sqrt(t) / math.sqrt(2 * math.pi)


def _priced_cases(n: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    cases = random_cases(n, seed)
    return cases, vollib_prices(cases, cases["vol"])


def test_status_codes_index_the_schema_names() -> None:
    assert [IV_STATUSES[s] for s in IVStatus] == ["ok", "below_intrinsic", "above_bound", "bad_input", "expired", "stale"]


def test_reproduces_the_price_across_the_domain() -> None:
    """σ 1–500 %, t 1 min–2 y, K ±50 %: repricing at our IV gives the input price back to 1e-9 (or 1e-10 abs)."""
    cases, price = _priced_cases(4000, seed=21)
    c = cases
    vol, status = implied_vol_with_status(price, c["spot"], c["strike"], c["t"], c["rate"], c["is_call"], c["q"])
    intrinsic = np.maximum(
        np.where(c["is_call"], 1.0, -1.0) * (c["spot"] * np.exp(-c["q"] * c["t"]) - c["strike"] * np.exp(-c["rate"] * c["t"])),
        0.0,
    )
    has_value = (price > 0) & (price - intrinsic > 1e-12 * np.maximum(price, 1e-300))
    ok = status == IVStatus.OK
    assert ok.sum() > 2200
    # Every row with time value is solved; the rest say why they are not.
    assert ok[has_value].all()
    assert np.isnan(vol[~ok]).all() and np.isfinite(vol[ok]).all() and (vol[ok] > 0).all()
    assert set(status[~ok].tolist()) <= {IVStatus.BELOW_INTRINSIC, IVStatus.BAD_INPUT}
    assert (status[price <= 0] == IVStatus.BAD_INPUT).all()
    repriced = vollib_prices({k: v[ok] for k, v in c.items()}, vol[ok])
    np.testing.assert_allclose(repriced, price[ok], rtol=RTOL, atol=ATOL)


def test_agrees_with_vollib_where_vega_matters() -> None:
    cases, price = _priced_cases(2500, seed=22)
    c = cases
    vol = implied_vol(price, c["spot"], c["strike"], c["t"], c["rate"], c["is_call"], c["q"])
    vega = _vega(c["spot"], c["strike"], c["t"], c["rate"], c["vol"], c["q"])
    # Where a 1e-9 relative change of price moves σ by less than 1e-6 relative, σ itself is pinned down.
    informative = (price > 1e-8) & (vega * c["vol"] * 1e-6 > 1e-9 * price)
    assert informative.sum() > 600
    ref = np.array([
        vollib_implied_vol(price[i], c["spot"][i], c["strike"][i], c["t"][i], c["rate"][i], bool(c["is_call"][i]), c["q"][i])
        for i in np.flatnonzero(informative)
    ])
    np.testing.assert_allclose(vol[informative], ref, rtol=1e-8)
    np.testing.assert_allclose(vol[informative], c["vol"][informative], rtol=1e-8)


def test_agrees_with_quantlib() -> None:
    rng = np.random.default_rng(23)
    n = 300
    forward = rng.uniform(15_000, 60_000, n)
    strike = forward * rng.uniform(0.8, 1.2, n)
    t = rng.uniform(1 / 365, 0.5, n)
    vol = rng.uniform(0.08, 0.6, n)
    rate = 0.065
    calls = strike > forward  # out of the money: QuantLib's F·Φ(d1) − K·Φ(d2) is exact there
    discount = np.exp(-rate * t)
    price = np.array([
        blackFormula(Option.Call if calls[i] else Option.Put, strike[i], forward[i], vol[i] * math.sqrt(t[i]), discount[i])
        for i in range(n)
    ])
    ql_vol = np.array([
        blackFormulaImpliedStdDev(Option.Call if calls[i] else Option.Put, strike[i], forward[i], price[i],
                                     discount[i], 0.0, 0.2, 1e-14, 500) / math.sqrt(t[i])
        for i in range(n)
    ])
    ours = implied_vol_black76(price, forward, strike, t, rate, calls)
    np.testing.assert_allclose(ours, ql_vol, rtol=1e-9)


@pytest.mark.parametrize(
    ("spot", "strike", "t", "vol", "is_call"),
    [
        (24_000.0, 26_000.0, 5 * MINUTE, 0.9, True),  # tick-sized far OTM a few minutes before expiry
        (24_000.0, 22_500.0, 30 * MINUTE, 0.35, False),
        (24_000.0, 24_000.0, 1 * MINUTE, 0.12, True),  # ATM, one minute left
        (24_000.0, 12_000.0, 0.25, 0.3, True),  # deep ITM
        (24_000.0, 36_000.0, 2.0, 0.05, True),  # deep OTM, low vol, long-dated
        (54_000.0, 54_100.0, 1 / 365, 0.14, False),
        (80_000.0, 40_000.0, 2.0, 5.0, True),  # 500 % vol
    ],
)
def test_hard_cases_reproduce_their_price(spot: float, strike: float, t: float, vol: float, is_call: bool) -> None:
    rate, q = 0.065, 0.0
    price = vollib_price(spot, strike, t, rate, vol, is_call, q)
    iv = float(implied_vol(price, spot, strike, t, rate, is_call, q))
    assert math.isfinite(iv)
    assert vollib_price(spot, strike, t, rate, iv, is_call, q) == pytest.approx(price, rel=RTOL, abs=ATOL)


def test_tick_prices_and_prices_a_tick_above_intrinsic() -> None:
    spot, rate, t = 24_000.0, 0.065, 3 / 365
    strikes = np.array([21_000.0, 22_000.0, 23_000.0, 25_000.0, 26_000.0, 27_000.0])
    calls = strikes > spot  # OTM side: the price is all time value
    for price in (0.05, 0.10, 1.0):
        iv = implied_vol(price, spot, strikes, t, rate, calls)
        repriced = [vollib_price(spot, k, t, rate, v, bool(c), 0.0) for k, v, c in zip(strikes, iv, calls, strict=True)]
        np.testing.assert_allclose(repriced, price, rtol=RTOL, atol=ATOL)
    # ITM side: intrinsic plus one tick of time value
    itm = ~calls
    intrinsic = np.where(itm, spot - strikes * math.exp(-rate * t), strikes * math.exp(-rate * t) - spot)
    itm_price = intrinsic + 0.05
    iv = implied_vol(itm_price, spot, strikes, t, rate, itm)
    assert np.isfinite(iv).all()
    repriced = [vollib_price(spot, k, t, rate, v, bool(c), 0.0) for k, v, c in zip(strikes, iv, itm, strict=True)]
    np.testing.assert_allclose(repriced, itm_price, rtol=RTOL, atol=ATOL)


def test_rows_without_an_implied_vol_are_nan_with_a_reason() -> None:
    spot, strike, t, rate = 100.0, 90.0, 0.5, 0.05
    forward_intrinsic = spot - strike * math.exp(-rate * t)
    price = np.array([forward_intrinsic - 0.01, forward_intrinsic, spot, spot + 1, 5.0, 5.0, np.nan, -1.0, 0.0, 5.0, 5.0])
    s = np.array([spot] * 9 + [np.nan, spot])
    tt = np.array([t] * 4 + [0.0, -0.1] + [t] * 5)
    k = np.array([strike] * 10 + [0.0])
    vol, status = implied_vol_with_status(price, s, k, tt, rate, True)
    assert np.isnan(vol).all()
    expected = ["below_intrinsic", "below_intrinsic", "above_bound", "above_bound", "expired", "expired",
                "bad_input", "bad_input", "bad_input", "bad_input", "bad_input"]
    assert [IV_STATUSES[x] for x in status] == expected


def test_put_upper_bound_is_the_discounted_strike() -> None:
    bound = 100.0 * math.exp(-0.05 * 0.5)
    _, status = implied_vol_with_status([bound, bound * (1 - 1e-9)], 120.0, 100.0, 0.5, 0.05, False)
    assert status.tolist() == [IVStatus.ABOVE_BOUND, IVStatus.OK]


def test_bad_rows_do_not_disturb_good_rows() -> None:
    cases, price = _priced_cases(200, seed=24)
    c = cases
    clean = implied_vol(price, c["spot"], c["strike"], c["t"], c["rate"], c["is_call"], c["q"])
    dirty_price = price.copy()
    dirty_t = c["t"].copy()
    dirty_price[::7] = np.nan
    dirty_t[3::11] = 0.0
    dirty = implied_vol(dirty_price, c["spot"], c["strike"], dirty_t, c["rate"], c["is_call"], c["q"])
    untouched = np.isfinite(dirty_price) & (dirty_t > 0)
    np.testing.assert_array_equal(dirty[untouched], clean[untouched])
    assert np.isnan(dirty[~untouched]).all()


def test_broadcasting_chunks_and_scalars() -> None:
    strikes = np.linspace(20_000, 28_000, 161)
    price = vollib_price(24_000.0, 24_000.0, 0.02, 0.065, 0.15, True, 0.0)
    single = float(implied_vol(price, 24_000.0, 24_000.0, 0.02, 0.065, True))
    assert single == pytest.approx(0.15, rel=1e-12)
    # 161 strikes × 300 repeats crosses several internal chunks; every row is the same problem per strike.
    prices = np.array([vollib_price(24_000.0, k, 0.02, 0.065, 0.15, True, 0.0) for k in strikes])
    grid = implied_vol(np.tile(prices, (300, 1)), 24_000.0, strikes, 0.02, 0.065, True)
    assert grid.shape == (300, 161)
    np.testing.assert_array_equal(grid, np.tile(grid[0], (300, 1)))
    assert implied_vol(np.array([]), 1.0, 1.0, 1.0, 0.0, True).shape == (0,)


def test_black76_equals_bsm_with_the_forward_carry() -> None:
    spot, t, rate, q = 24_000.0, 0.05, 0.065, 0.01
    forward = spot * math.exp((rate - q) * t)
    strikes = np.array([22_000.0, 24_000.0, 26_000.0])
    price = np.array([vollib_price(spot, k, t, rate, 0.2, True, q) for k in strikes])
    np.testing.assert_allclose(implied_vol_black76(price, forward, strikes, t, rate, True), 0.2, rtol=1e-11)
    _, status = implied_vol_black76_with_status(price, -forward, strikes, t, rate, True)
    assert (status == IVStatus.BAD_INPUT).all()
