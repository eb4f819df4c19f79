"""Gamma and delta exposure: a three-strike chain worked out by hand, both sign conventions, units, NaN legs."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from g6_pipeline.analytics import enrich
from g6_pipeline.analytics.exposure import exposure_by_strike, exposure_totals, totals_by_minute
from g6_pipeline.core.clock import IST
from g6_pipeline_tests.analytics.chains import T_YEARS, priced_chain, snapshot
from g6_pipeline_tests.analytics.reference import vollib_greeks

EXPIRY = date(2026, 1, 13)
#            strike  side   gamma   delta   OI (units)
LEGS = [
    (95.0, "CE", 0.010, 0.80, 1000.0),
    (95.0, "PE", 0.012, -0.20, 3000.0),
    (100.0, "CE", 0.040, 0.50, 2000.0),
    (100.0, "PE", 0.040, -0.50, 2000.0),
    (105.0, "CE", 0.015, 0.25, 4000.0),
    (105.0, "PE", 0.010, -0.75, 500.0),
]


def chain(legs: list[tuple[float, str, float, float, float]] = LEGS, spot: float = 100.0, lot: int = 65) -> pd.DataFrame:
    return pd.DataFrame(
        [{"expiry": EXPIRY, "expiry_tag": "this_week", "strike": k, "side": s, "gamma": g, "delta": d, "oi": oi,
          "lot_size": lot, "index_price": spot} for k, s, g, d, oi in legs]
    )


def test_three_strikes_by_hand_conventional() -> None:
    by_strike = exposure_by_strike(chain())
    # gamma: 95: 0.010·1000 − 0.012·3000 = −26; 100: 80 − 80 = 0; 105: 0.015·4000 − 0.010·500 = 55
    assert list(by_strike["strike"]) == [95.0, 100.0, 105.0]
    assert list(by_strike["gamma"]) == pytest.approx([-26.0, 0.0, 55.0], abs=1e-12)
    assert list(by_strike["call_gamma"]) == pytest.approx([10.0, 80.0, 60.0])
    assert list(by_strike["put_gamma"]) == pytest.approx([-36.0, -80.0, -5.0])
    # delta: 95: 0.8·1000 − (−0.2·3000) = 1400; 100: 1000 + 1000 = 2000; 105: 1000 + 375 = 1375
    assert list(by_strike["delta"]) == pytest.approx([1400.0, 2000.0, 1375.0])
    # rupees at S = 100: gamma·S²/100 for a 1 % move, delta·S
    assert list(by_strike["gamma_rupees"]) == pytest.approx([-2600.0, 0.0, 5500.0], abs=1e-9)
    assert list(by_strike["delta_rupees"]) == pytest.approx([140000.0, 200000.0, 137500.0])
    totals = exposure_totals(by_strike)
    assert (totals.gamma, totals.gamma_rupees) == (pytest.approx(29.0), pytest.approx(2900.0))
    assert (totals.delta, totals.delta_rupees) == (pytest.approx(4775.0), pytest.approx(477500.0))
    assert totals.legs_unpriced == 0


def test_the_dealer_short_calls_book_is_the_conventional_one_negated() -> None:
    totals = exposure_totals(exposure_by_strike(chain(), "dealer_short_calls"))
    assert (totals.gamma, totals.delta) == (pytest.approx(-29.0), pytest.approx(-4775.0))
    with pytest.raises(ValueError, match="unknown exposure convention"):
        exposure_by_strike(chain(), "naive")  # type: ignore[arg-type]


def test_oi_is_in_units_so_the_lot_size_does_not_enter() -> None:
    assert exposure_totals(exposure_by_strike(chain(lot=1))) == exposure_totals(exposure_by_strike(chain(lot=65)))


def test_a_contract_under_two_tags_counts_once() -> None:
    twice = pd.concat([chain(), chain().assign(expiry_tag="this_month")], ignore_index=True)
    assert exposure_totals(exposure_by_strike(twice)).gamma == pytest.approx(29.0)


def test_an_unpriced_leg_adds_nothing_and_is_counted() -> None:
    legs = [*LEGS[:5], (105.0, "PE", math.nan, math.nan, 500.0)]
    by_strike = exposure_by_strike(chain(legs))
    assert by_strike["gamma"].iloc[2] == pytest.approx(60.0)
    assert math.isnan(by_strike["put_gamma"].iloc[2])  # no priced put at 105: unknown, not 0
    assert list(by_strike["legs_unpriced"]) == [0, 0, 1]
    assert exposure_totals(by_strike).legs_unpriced == 1


def test_per_minute_when_the_rows_carry_timestamps() -> None:
    first, second = datetime(2026, 1, 5, 9, 15, tzinfo=IST), datetime(2026, 1, 5, 9, 16, tzinfo=IST)
    rows = pd.concat([chain().assign(timestamp=first), chain(spot=200.0).assign(timestamp=second)], ignore_index=True)
    by_strike = exposure_by_strike(rows)
    assert list(by_strike.columns[:2]) == ["timestamp", "strike"] and len(by_strike) == 6
    totals = totals_by_minute(by_strike)
    assert list(totals["gamma"]) == pytest.approx([29.0, 29.0])
    assert list(totals["gamma_rupees"]) == pytest.approx([2900.0, 11600.0])  # 29·200²/100


def test_the_overview_carries_each_expirys_exposure_against_a_second_library() -> None:
    # three strikes priced by Black-76 at 14 % on a known forward; OI chosen per leg
    spot, forward, rate, t = 24_000.0, 24_100.0, 0.065, T_YEARS
    oi = {(23_900.0, "CE"): 1000.0, (23_900.0, "PE"): 3000.0, (24_100.0, "CE"): 2000.0,
          (24_100.0, "PE"): 2500.0, (24_300.0, "CE"): 4000.0, (24_300.0, "PE"): 500.0}
    legs = priced_chain(forward, [23_900.0, 24_100.0, 24_300.0], t, rate, lambda _k: 0.14)
    legs["oi"] = [oi[(k, s)] for k, s in zip(legs["strike"], legs["side"], strict=True)]
    overview = enrich(snapshot(legs, spot=spot), rate).overview
    # the Greeks w.r.t. spot by vollib's Black-Scholes-Merton, the carry the forward implies: q = r − ln(F/S)/t
    q = rate - math.log(forward / spot) / t
    gamma = delta = 0.0
    for (k, side), units in oi.items():
        g = vollib_greeks(spot, k, t, rate, 0.14, side == "CE", q)
        sign = 1.0 if side == "CE" else -1.0
        gamma += sign * g["gamma"] * units
        delta += sign * g["delta"] * units
    assert overview["gex_this_week"] == pytest.approx(gamma * spot * spot / 100, rel=1e-6)
    assert overview["dex_this_week"] == pytest.approx(delta * spot, rel=1e-6)
    assert math.isnan(overview["gex_next_week"]) and math.isnan(overview["dex_next_week"])  # not collected
