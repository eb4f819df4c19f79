"""Prices: against vollib's Let's Be Rational implementation, put-call parity and limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from py_lets_be_rational import normalised_black_call

from g6_pipeline.analytics import bs_price
from g6_pipeline.analytics.black import black76_price, normalised_black, normalised_vega
from g6_pipeline_tests.analytics.reference import random_cases, vollib_prices


def test_normalised_black_matches_lets_be_rational_across_regions() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    scale = rng.choice([0.0, 1e-6, 1e-3, 0.1, 1.0, 3.0], n)
    x = -np.abs(rng.uniform(-1, 1, n)) * scale
    s = np.exp(rng.uniform(math.log(1e-5), math.log(20.0), n))
    ours = normalised_black(x, s)
    ref = np.array([normalised_black_call(a, b) for a, b in zip(x, s, strict=True)])
    meaningful = ref > 1e-250
    assert meaningful.sum() > 2000
    np.testing.assert_allclose(ours[meaningful], ref[meaningful], rtol=1e-9, atol=0)
    # Typical arguments (s ≥ 1e-3) are exact to ~1e-13.
    typical = meaningful & (s > 1e-3)
    np.testing.assert_allclose(ours[typical], ref[typical], rtol=5e-13, atol=0)


def test_normalised_black_limits_and_vega_by_finite_difference() -> None:
    x = np.array([-0.2, 0.0, -0.2, 0.0])
    s = np.array([0.0, 0.0, np.inf, np.inf])
    np.testing.assert_array_equal(normalised_black(x, s), [0.0, 0.0, math.exp(-0.1), 1.0])
    xs = np.array([-0.3, -0.01, 0.0, -1.0])
    ss = np.array([0.2, 0.05, 0.3, 2.0])
    h = 1e-6
    fd = (normalised_black(xs, ss + h) - normalised_black(xs, ss - h)) / (2 * h)
    np.testing.assert_allclose(normalised_vega(xs, ss), fd, rtol=1e-7)


def test_bs_price_matches_vollib_on_random_domain() -> None:
    cases = random_cases(1500, seed=3)
    ours = bs_price(cases["spot"], cases["strike"], cases["t"], cases["rate"], cases["vol"], cases["is_call"], cases["q"])
    ref = vollib_prices(cases, cases["vol"])
    np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-12 * cases["spot"].max())


def test_put_call_parity() -> None:
    cases = random_cases(1000, seed=4)
    args = (cases["spot"], cases["strike"], cases["t"], cases["rate"], cases["vol"])
    call = bs_price(*args, True, cases["q"])
    put = bs_price(*args, False, cases["q"])
    forward_value = cases["spot"] * np.exp(-cases["q"] * cases["t"]) - cases["strike"] * np.exp(-cases["rate"] * cases["t"])
    np.testing.assert_allclose(call - put, forward_value, rtol=0, atol=1e-11 * cases["spot"].max())


def test_hand_computed_price() -> None:
    # S = K = 100, r = q = 0, σ = 20 %, t = 1: C = P = 100·(2Φ(0.1) − 1) = 7.965567455405804
    assert bs_price(100.0, 100.0, 1.0, 0.0, 0.2, True) == pytest.approx(7.965567455405804, rel=1e-14)
    assert bs_price(100.0, 100.0, 1.0, 0.0, 0.2, False) == pytest.approx(7.965567455405804, rel=1e-14)


def test_limits_and_bad_inputs_do_not_raise() -> None:
    spot = np.array([100.0, 100.0, 100.0, np.nan, 100.0, 100.0, -5.0, 100.0])
    strike = np.array([90.0, 110.0, 90.0, 100.0, 100.0, 100.0, 100.0, 90.0])
    t = np.array([0.0, 0.0, 0.5, 0.5, -0.1, 0.5, 0.5, 0.5])
    vol = np.array([0.2, 0.2, 0.0, 0.2, 0.2, -0.1, 0.2, np.inf])
    out = bs_price(spot, strike, t, 0.05, vol, True)
    assert out[0] == pytest.approx(10.0)  # t = 0: intrinsic on spot
    assert out[1] == 0.0
    assert out[2] == pytest.approx(100.0 - 90.0 * math.exp(-0.025))  # σ = 0: discounted forward intrinsic
    assert np.isnan(out[3:]).all()


def test_black76_equals_bsm_on_the_forward() -> None:
    spot, t, r, q = 24_000.0, 0.1, 0.065, 0.012
    forward = spot * math.exp((r - q) * t)
    strikes = np.array([20_000.0, 24_000.0, 28_000.0])
    for call in (True, False):
        np.testing.assert_allclose(
            black76_price(forward, strikes, t, r, 0.18, call), bs_price(spot, strikes, t, r, 0.18, call, q), rtol=1e-13
        )


def test_broadcasting_and_scalars() -> None:
    out = bs_price(100.0, [[90.0], [110.0]], [0.5, 1.0], 0.05, 0.2, True)
    assert out.shape == (2, 2)
    scalar = bs_price(100.0, 100.0, 0.5, 0.05, 0.2, True)
    assert np.ndim(scalar) == 0 and math.isfinite(float(scalar))
