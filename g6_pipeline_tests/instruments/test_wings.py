"""Strike windows widened to the 25-delta wings: checked with Black-76 deltas from vollib, not the code under test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from vollib.black import black
from vollib.black.greeks.analytical import delta

from g6_pipeline.instruments import strike_window, total_vol_from_straddle, wing_window

STRIKES = np.concatenate([np.arange(40_000.0, 60_001.0, 100.0), np.arange(60_500.0, 70_001.0, 500.0)])
FORWARD = 51_230.0


@pytest.mark.parametrize(("sigma", "days"), [(0.14, 30), (0.14, 60), (0.25, 45), (0.12, 3)])
def test_window_reaches_both_25_delta_wings(sigma: float, days: int) -> None:
    t = days / 365
    window = wing_window(STRIKES, FORWARD, sigma * math.sqrt(t), 10, 10)
    assert set(strike_window(STRIKES, FORWARD, 10, 10)) <= set(window)
    call_deltas = [delta("c", FORWARD, k, t, 0.0, sigma) for k in window]
    put_deltas = [delta("p", FORWARD, k, t, 0.0, sigma) for k in window]
    assert min(call_deltas) < 0.25 and max(put_deltas) > -0.25  # a strike beyond each wing, so 25Δ is bracketed
    outside = STRIKES[(window.min() > STRIKES) | (window.max() < STRIKES)]
    assert all(abs(delta("c" if k > FORWARD else "p", FORWARD, k, t, 0.0, sigma)) < 0.2 for k in outside)


def test_straddle_gives_total_volatility() -> None:
    sigma, t = 0.16, 40 / 365
    straddle = black("c", FORWARD, FORWARD, t, 0.0, sigma) + black("p", FORWARD, FORWARD, t, 0.0, sigma)
    assert total_vol_from_straddle(straddle, FORWARD) == pytest.approx(sigma * math.sqrt(t), rel=0.01)
    assert math.isnan(total_vol_from_straddle(math.nan, FORWARD))


def test_without_a_volatility_the_configured_window_stays() -> None:
    np.testing.assert_array_equal(wing_window(STRIKES, FORWARD, math.nan, 10, 10), strike_window(STRIKES, FORWARD, 10, 10))
    narrow = wing_window(STRIKES, FORWARD, 0.001, 10, 10)  # wings inside the configured window
    np.testing.assert_array_equal(narrow, strike_window(STRIKES, FORWARD, 10, 10))
