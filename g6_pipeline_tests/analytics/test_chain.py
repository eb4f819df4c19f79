"""Chain analytics on small chains whose answers are worked out by hand in each test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.analytics import buildup_labels, risk_reversal_butterfly
from g6_pipeline.analytics.forward import forward_from_grid
from g6_pipeline.analytics.positioning import (
    change_since_close,
    max_pain_from_grid,
    pcr_from_sides,
    previous_close_of,
)
from g6_pipeline.analytics.smile import iv_at_delta
from g6_pipeline.analytics.straddle import straddle_from_grid
from g6_pipeline.analytics.strike_grid import StrikeGrid
from g6_pipeline_tests.analytics.chains import legs_frame


def _chain() -> pd.DataFrame:
    # strike:   100  110  120
    # CE OI:     10   20   30   (Σ 60)     CE vol: 5  5  0 (Σ 10)
    # PE OI:     40   20    5   (Σ 65)     PE vol: 1  2  4 (Σ 7)
    # CE LTP:    12    5  1.5              PE LTP: 1.5  4  12
    rows = []
    for k, ce_oi, pe_oi, ce_v, pe_v, ce_p, pe_p in [
        (100, 10, 40, 5, 1, 12.0, 1.5), (110, 20, 20, 5, 2, 5.0, 4.0), (120, 30, 5, 0, 4, 1.5, 12.0)
    ]:
        rows.append({"strike": k, "side": "CE", "oi": ce_oi, "volume": ce_v, "last_price": ce_p})
        rows.append({"strike": k, "side": "PE", "oi": pe_oi, "volume": pe_v, "last_price": pe_p})
    return legs_frame(rows)


def _sides(legs: pd.DataFrame, column: str) -> tuple[StrikeGrid, np.ndarray, np.ndarray]:
    grid = StrikeGrid.from_legs(legs["strike"].to_numpy(dtype=np.float64), legs["side"].to_numpy() == "CE")
    ce, pe = grid.sides(legs[column].to_numpy(dtype=np.float64))
    return grid, ce, pe


def _pcr(legs: pd.DataFrame, column: str = "oi") -> float:
    _, ce, pe = _sides(legs, column)
    return pcr_from_sides(ce, pe)


def _max_pain(legs: pd.DataFrame) -> float:
    grid, ce, pe = _sides(legs, "oi")
    return max_pain_from_grid(grid.strikes, ce, pe)


def _straddle(legs: pd.DataFrame, atm: float) -> float:
    grid, ce, pe = _sides(legs, "last_price")
    hit = np.flatnonzero(grid.strikes == atm)
    return straddle_from_grid(ce, pe, int(hit[0]) if hit.size else -1)


def test_pcr_by_oi_and_volume() -> None:
    legs = _chain()
    assert _pcr(legs) == pytest.approx(65 / 60)
    assert _pcr(legs, "volume") == pytest.approx(7 / 10)


def test_max_pain_by_hand() -> None:
    # Writers pay at settlement S: calls Σ CE_OI·max(S−K, 0), puts Σ PE_OI·max(K−S, 0).
    # S = 100: calls 0,               puts 20·10 + 5·20 = 300 → 300
    # S = 110: calls 10·10 = 100,     puts 5·10 = 50         → 150  (minimum)
    # S = 120: calls 10·20 + 20·10,   puts 0                 → 400
    assert _max_pain(_chain()) == 110.0


def test_max_pain_tie_takes_the_lower_strike_and_no_oi_is_nan() -> None:
    # Only CE OI 10 at 100 and PE OI 10 at 110: S = 100 → 100, S = 110 → 100 (tie).
    legs = legs_frame([
        {"strike": 100, "side": "CE", "oi": 10}, {"strike": 110, "side": "PE", "oi": 10},
        {"strike": 100, "side": "PE", "oi": 0}, {"strike": 110, "side": "CE", "oi": 0},
    ])
    assert _max_pain(legs) == 100.0
    legs["oi"] = 0.0
    assert math.isnan(_max_pain(legs))
    assert math.isnan(_pcr(legs))


def test_forward_and_atm_by_hand() -> None:
    # |C − P| is 10.5 at 100, 1 at 110, 10.5 at 120 → F = 110 + e^{0.1·0.5}·(5 − 4) = 111.0512710963760
    grid, ce, pe = _sides(_chain(), "last_price")
    estimate = forward_from_grid(grid, ce, pe, t=0.5, rate=0.1, spot=109.0)
    assert estimate.source == "synthetic"
    assert estimate.parity_strike == 110.0
    assert estimate.forward == pytest.approx(110 + math.exp(0.05), rel=1e-15)
    assert estimate.atm == 110.0
    futures = forward_from_grid(grid, ce, pe, t=0.5, rate=0.1, spot=109.0, futures=116.0)
    assert (futures.forward, futures.atm, futures.source) == (116.0, 120.0, "futures")


def test_one_sided_chain_falls_back_to_spot_carry() -> None:
    legs = _chain()
    calls_only = legs[legs["side"] == "CE"]
    grid, ce, pe = _sides(calls_only, "last_price")
    estimate = forward_from_grid(grid, ce, pe, t=0.5, rate=0.1, spot=104.0)
    assert estimate.source == "spot"
    assert estimate.forward == pytest.approx(104.0 * math.exp(0.05))
    assert estimate.atm == 110.0  # 109.33 is nearest to 110
    assert math.isnan(_pcr(calls_only))
    assert math.isnan(_straddle(calls_only, 110.0))
    grid, ce, pe = _sides(legs.iloc[:0], "last_price")
    empty = forward_from_grid(grid, ce, pe, t=0.5, rate=0.1)
    assert empty.source == "none" and math.isnan(empty.forward) and math.isnan(empty.atm)


def test_atm_straddle() -> None:
    assert _straddle(_chain(), 110.0) == 9.0
    assert math.isnan(_straddle(_chain(), 105.0))


def test_buildup_labels_from_signs() -> None:
    labels = buildup_labels([1.0, -1.0, 2.0, -0.5, 0.0, 1.0, np.nan], [5.0, 5.0, -3.0, -3.0, 5.0, 0.0, 5.0])
    assert labels.tolist() == ["long_buildup", "short_buildup", "short_covering", "long_unwinding", "", "", ""]


def test_oi_and_price_change_against_the_previous_close() -> None:
    previous = pd.DataFrame({"tradingsymbol": ["A", "B"], "oi": [100.0, 100.0], "last_price": [9.0, 5.0]})
    prev_oi, prev_last = previous_close_of(["A", "B", "NEW"], previous)
    np.testing.assert_array_equal(np.array([150.0, 80.0, 10.0]) - prev_oi, [50.0, -20.0, np.nan])
    # A's own prev_close (8) wins over the closing snapshot (9); B has none and falls back to 5.
    moved = change_since_close(np.array([10.0, 4.0, 1.0]), np.array([8.0, np.nan, np.nan]), prev_last)
    np.testing.assert_array_equal(moved, [2.0, -1.0, np.nan])
    assert np.isnan(previous_close_of(["A", "B"], None)).all()


def test_iv_at_25_delta_interpolates_and_never_extrapolates() -> None:
    # Calls: Δ 0.4 → 20 %, Δ 0.2 → 24 %  ⇒ IV(0.25) = 24 − (0.05/0.2)·4 = 23 %
    # Puts:  Δ −0.3 → 22 %, Δ −0.2 → 26 % ⇒ IV(−0.25) = 24 %
    is_call = [True, True, False, False]
    delta = [0.4, 0.2, -0.3, -0.2]
    iv = [0.20, 0.24, 0.22, 0.26]
    rr, bf = risk_reversal_butterfly(is_call, delta, iv, atm_iv=0.20)
    assert rr == pytest.approx(-0.01)
    assert bf == pytest.approx(0.035)
    assert math.isnan(iv_at_delta([0.4, 0.3], [0.2, 0.21], 0.25))  # not bracketed
    assert math.isnan(iv_at_delta([], [], 0.25))
