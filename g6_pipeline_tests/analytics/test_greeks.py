"""Greeks against vollib's analytical Greeks, central finite differences of the price, and limits."""

from __future__ import annotations

import math

import numpy as np

from g6_pipeline.analytics import bs_price, greeks
from g6_pipeline.analytics.iv import implied_vol_black76
from g6_pipeline.analytics.sensitivities import implied_dividend_yield
from g6_pipeline_tests.analytics.reference import vollib_greeks


def _cases(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    spot = rng.uniform(10_000, 80_000, n)
    return {
        "spot": spot,
        "strike": spot * np.exp(rng.uniform(-0.2, 0.2, n)),
        "t": rng.uniform(1 / 365, 1.0, n),
        "rate": rng.uniform(0.0, 0.1, n),
        "vol": rng.uniform(0.05, 0.8, n),
        "is_call": rng.random(n) < 0.5,
        "q": rng.uniform(0.0, 0.03, n),
    }


def _args(c: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    return c["spot"], c["strike"], c["t"], c["rate"], c["vol"], c["is_call"], c["q"]


def test_matches_vollib_analytical_greeks() -> None:
    c = _cases(400, seed=31)
    g = greeks(*_args(c))
    for name in ("delta", "gamma", "vega", "theta", "rho"):
        ref = [
            vollib_greeks(float(c["spot"][i]), float(c["strike"][i]), float(c["t"][i]), float(c["rate"][i]),
                          float(c["vol"][i]), bool(c["is_call"][i]), float(c["q"][i]))[name]
            for i in range(400)
        ]
        np.testing.assert_allclose(getattr(g, name), ref, rtol=1e-10, atol=1e-12, err_msg=name)


def test_matches_central_finite_differences_in_trader_units() -> None:
    c = _cases(300, seed=32)
    s, k, t, r, v, call, q = _args(c)
    g = greeks(s, k, t, r, v, call, q)

    def price(**bump: np.ndarray) -> np.ndarray:
        a = {"spot": s, "t": t, "rate": r, "vol": v} | bump
        return bs_price(a["spot"], k, a["t"], a["rate"], a["vol"], call, q)

    ds = 1e-5 * s
    delta = (price(spot=s + ds) - price(spot=s - ds)) / (2 * ds)
    ds = 1e-4 * s
    gamma = (price(spot=s + ds) - 2 * price() + price(spot=s - ds)) / (ds * ds)
    dv = 1e-5
    vega_per_point = (price(vol=v + dv) - price(vol=v - dv)) / (2 * dv) / 100
    dt = 1e-6
    theta_per_day = (price(t=t - dt) - price(t=t + dt)) / (2 * dt) / 365
    dr = 1e-6
    rho_per_pct = (price(rate=r + dr) - price(rate=r - dr)) / (2 * dr) / 100
    np.testing.assert_allclose(g.delta, delta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g.gamma, gamma, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(g.vega, vega_per_point, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g.theta, theta_per_day, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g.rho, rho_per_pct, rtol=1e-6, atol=1e-8)


def test_put_call_relations() -> None:
    c = _cases(200, seed=33)
    s, k, t, r, v, _, q = _args(c)
    call = greeks(s, k, t, r, v, True, q)
    put = greeks(s, k, t, r, v, False, q)
    np.testing.assert_allclose(call.delta - put.delta, np.exp(-q * t), rtol=1e-12)
    np.testing.assert_allclose(call.gamma, put.gamma, rtol=1e-12)
    np.testing.assert_allclose(call.vega, put.vega, rtol=1e-12)
    np.testing.assert_allclose(call.rho - put.rho, k * t * np.exp(-r * t) / 100, rtol=1e-10)


def test_hand_computed_atm_values() -> None:
    # S = K = 100, r = q = 0, σ = 20 %, t = 1: d1 = 0.1, φ(0.1) = 0.3969525474770118, Φ(0.1) = 0.539827837277029
    g = greeks(100.0, 100.0, 1.0, 0.0, 0.2, True)
    assert math.isclose(g.delta, 0.539827837277029, rel_tol=1e-13)
    assert math.isclose(g.gamma, 0.3969525474770118 / 20, rel_tol=1e-13)
    assert math.isclose(g.vega, 0.3969525474770118, rel_tol=1e-13)  # 100·φ(d1)·√1 / 100
    assert math.isclose(g.theta, -100 * 0.3969525474770118 * 0.2 / 2 / 365, rel_tol=1e-13)


def test_invalid_rows_are_nan() -> None:
    g = greeks([100.0, 100.0, 100.0, np.nan, 100.0], 100.0, [0.0, 0.5, 0.5, 0.5, -1.0], 0.05, [0.2, np.nan, 0.0, 0.2, 0.2], True)
    for arr in g.as_dict().values():
        assert np.isnan(arr).all()


def test_black76_carry_gives_spot_greeks() -> None:
    spot, t, r = 24_000.0, 0.05, 0.065
    forward = 24_050.0
    q = implied_dividend_yield(spot, forward, t, r)
    assert math.isclose(spot * math.exp((r - float(q)) * t), forward, rel_tol=1e-14)
    price = bs_price(spot, 24_500.0, t, r, 0.16, True, q)
    assert math.isclose(float(implied_vol_black76(price, forward, 24_500.0, t, r, True)), 0.16, rel_tol=1e-11)
    g = greeks(spot, 24_500.0, t, r, 0.16, True, q)
    ds = 1.0
    fd = (bs_price(spot + ds, 24_500.0, t, r, 0.16, True, q) - bs_price(spot - ds, 24_500.0, t, r, 0.16, True, q)) / 2
    assert math.isclose(g.delta, fd, rel_tol=1e-6)
