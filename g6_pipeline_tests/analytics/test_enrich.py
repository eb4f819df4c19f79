"""enrich(): the schema's rows from a snapshot whose forward and smile are known."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from vollib.black_scholes_merton.greeks import analytical

from g6_pipeline.analytics import enrich, enrich_many
from g6_pipeline.core.schema import OPTION_COLUMNS, OPTION_SCHEMA, OVERVIEW_COLUMNS, OVERVIEW_SCHEMA
from g6_pipeline.core.snapshot import SessionReference
from g6_pipeline_tests.analytics.chains import EXPIRY, IST, T_YEARS, legs_frame, priced_chain, snapshot

RATE = 0.065
SPOT = 24_000.0
CARRY = 0.012  # the market's forward sits below spot·e^{rt}
FORWARD = SPOT * math.exp((RATE - CARRY) * T_YEARS)
STRIKES = np.arange(23_000.0, 25_001.0, 50.0)


def _vol(k: float) -> float:
    return 0.14 + 0.6 * math.log(k / FORWARD) ** 2


def _enriched_week() -> tuple[pd.DataFrame, dict[str, Any]]:
    legs = priced_chain(FORWARD, STRIKES, T_YEARS, RATE, _vol)
    chain = enrich(snapshot(legs, spot=SPOT, spot_prev_close=23_900.0, spot_high=24_100.0, spot_low=23_850.0), RATE)
    return chain.options, chain.overview


def test_rows_match_the_schema_exactly() -> None:
    options, overview = _enriched_week()
    assert tuple(options.columns) == OPTION_COLUMNS
    assert len(options) == 2 * len(STRIKES)
    pa.Table.from_pandas(options, schema=OPTION_SCHEMA, preserve_index=False)  # types convert as declared
    assert tuple(overview) == OVERVIEW_COLUMNS
    pa.Table.from_pylist([overview], schema=OVERVIEW_SCHEMA)


def test_forward_atm_and_iv_are_recovered() -> None:
    options, overview = _enriched_week()
    assert options["forward"].iloc[0] == pytest.approx(FORWARD, rel=1e-12)
    assert overview["forward_this_week"] == pytest.approx(FORWARD, rel=1e-12)
    atm = STRIKES[np.argmin(np.abs(STRIKES - FORWARD))]
    assert overview["atm_this_week"] == atm
    assert (options["offset"] == (options["strike"] - atm).astype(int)).all()
    assert options["t_years"].iloc[0] == pytest.approx(T_YEARS, rel=1e-15)
    expected = np.array([_vol(k) for k in options["strike"]])
    np.testing.assert_allclose(options["iv"], expected, rtol=1e-9)
    assert (options["iv_status"] == "ok").all()
    assert overview["atm_iv_this_week"] == pytest.approx(_vol(atm), rel=1e-9)
    assert overview["iv_failures"] == 0


def test_greeks_are_spot_greeks_under_the_forward_carry() -> None:
    options, _ = _enriched_week()
    for _, row in options.iloc[::17].iterrows():
        flag = "c" if row["side"] == "CE" else "p"
        args = (flag, SPOT, row["strike"], T_YEARS, RATE, _vol(row["strike"]), CARRY)
        assert row["delta"] == pytest.approx(analytical.delta(*args), rel=1e-8, abs=1e-10)
        assert row["gamma"] == pytest.approx(analytical.gamma(*args), rel=1e-8, abs=1e-12)
        assert row["vega"] == pytest.approx(analytical.vega(*args), rel=1e-8, abs=1e-10)
        assert row["theta"] == pytest.approx(analytical.theta(*args), rel=1e-8, abs=1e-10)
        assert row["rho"] == pytest.approx(analytical.rho(*args), rel=1e-8, abs=1e-10)


def test_overview_chain_numbers() -> None:
    options, overview = _enriched_week()
    atm = overview["atm_this_week"]
    at_atm = options[options["strike"] == atm].set_index("side")["last_price"]
    assert overview["straddle_this_week"] == pytest.approx(at_atm["CE"] + at_atm["PE"])
    assert overview["pcr_this_week"] == 1.0  # OI 1000 on every leg
    assert overview["ce_oi_this_week"] == 1000.0 * len(STRIKES)
    # 25Δ wings of a smile convex in log-moneyness: both above ATM → positive butterfly
    assert overview["bf25_this_week"] > 0
    assert abs(overview["rr25_this_week"]) < 0.05
    assert overview["index_net_change"] == pytest.approx(100.0)
    assert overview["day_width"] == pytest.approx(250.0)
    assert math.isnan(overview["index_day_change"])  # no reference: unknown, not zero
    assert math.isnan(overview["straddle_net_change_this_week"])
    assert overview["expected_mask"] == 1 and overview["collected_mask"] == 1 and overview["missing_mask"] == 0
    assert math.isnan(overview["pcr_next_week"]) and overview["expiry_next_week"] is None


def test_session_reference_changes_and_buildup() -> None:
    legs = priced_chain(FORWARD, [24_000.0, 24_050.0], T_YEARS, RATE, _vol)
    symbols = legs["tradingsymbol"].tolist()
    previous = pd.DataFrame({"tradingsymbol": symbols[:2], "oi": [800.0, 1200.0], "last_price": [1.0, 1e6]})
    ref = SessionReference(
        prev_close_legs=previous,
        prev_close_straddle={"this_week": 500.0},
        day_open_straddle={"this_week": 450.0},
        day_open_spot=23_950.0,
    )
    chain = enrich(snapshot(legs, spot=SPOT), RATE, ref)
    options, overview = chain.options, chain.overview
    np.testing.assert_array_equal(options["oi_change"].to_numpy()[:2], [200.0, -200.0])
    assert np.isnan(options["oi_change"].to_numpy()[2:]).all()
    assert options["buildup"].tolist() == ["long_buildup", "long_unwinding", "", ""]
    straddle = overview["straddle_this_week"]
    assert overview["straddle_net_change_this_week"] == pytest.approx(straddle - 500.0)
    assert overview["straddle_day_change_this_week"] == pytest.approx(straddle - 450.0)
    assert overview["index_day_change"] == pytest.approx(50.0)


def test_several_expiries_masks_and_missing_legs() -> None:
    month = date(2026, 3, 31)
    week = priced_chain(FORWARD, STRIKES[::4], T_YEARS, RATE, _vol)
    monthly = priced_chain(FORWARD * 1.001, STRIKES[::4], T_YEARS * 4, RATE, _vol, tag="this_month", expiry=month)
    legs = pd.concat([week, monthly], ignore_index=True)
    expiries = {"this_week": EXPIRY, "next_week": date(2026, 3, 17), "this_month": month}
    chain = enrich(snapshot(legs, expiries=expiries, missing=("NIFTY26MAR17X",)), RATE)
    ov = chain.overview
    assert (ov["expected_mask"], ov["collected_mask"], ov["missing_mask"]) == (7, 5, 2)
    assert (ov["expiries_expected"], ov["expiries_collected"]) == (3, 2)
    assert ov["expiry_next_week"] == date(2026, 3, 17) and math.isnan(ov["forward_next_week"])
    assert (ov["legs_expected"], ov["legs_collected"], ov["legs_missing"]) == (len(legs) + 1, len(legs), 1)
    assert ov["forward_this_month"] != ov["forward_this_week"]


def test_degenerate_chains_give_defined_results() -> None:
    # empty chain
    empty = enrich(snapshot(legs_frame([])), RATE)
    assert tuple(empty.options.columns) == OPTION_COLUMNS and empty.options.empty
    assert math.isnan(float(empty.overview["pcr_this_week"])) and empty.overview["collected_mask"] == 0
    # one strike, zero OI, one-sided, missing price, expired
    one = legs_frame([
        {"strike": 24_000.0, "side": "CE", "last_price": 120.0, "oi": 0.0},
        {"strike": 24_000.0, "side": "PE", "last_price": 95.0, "oi": 0.0},
    ])
    single = enrich(snapshot(one), RATE).overview
    assert single["atm_this_week"] == 24_000.0 and single["straddle_this_week"] == 215.0
    assert math.isnan(single["pcr_this_week"]) and math.isnan(single["max_pain_this_week"])
    assert math.isnan(single["rr25_this_week"])
    calls = legs_frame([{"strike": k, "side": "CE", "last_price": p, "oi": 10.0} for k, p in [(23_900.0, 180.0), (24_100.0, 60.0)]])
    one_sided = enrich(snapshot(calls), RATE)
    assert one_sided.overview["forward_this_week"] == pytest.approx(SPOT * math.exp(RATE * T_YEARS))
    assert math.isnan(one_sided.overview["pcr_this_week"]) and one_sided.overview["max_pain_this_week"] == 23_900.0
    assert (one_sided.options["iv_status"] == "ok").all()
    gaps = legs_frame([
        {"strike": 24_000.0, "side": "CE", "last_price": np.nan},
        {"strike": 24_000.0, "side": "PE", "last_price": 0.01},  # below intrinsic? no: OTM put, tiny but valid
        {"strike": 23_000.0, "side": "CE", "last_price": 500.0},  # below forward intrinsic
    ])
    out = enrich(snapshot(gaps), RATE)
    assert out.options["iv_status"].tolist() == ["bad_input", "ok", "below_intrinsic"]
    assert out.overview["iv_failures"] == 1  # the NaN price is no quote, not a failure
    after_close = datetime(2026, 3, 10, 15, 45, tzinfo=IST)
    expired = enrich(snapshot(one, timestamp=after_close), RATE).options
    assert (expired["iv_status"] == "expired").all() and expired["delta"].isna().all()
    assert (expired["t_years"] < 0).all()


def test_enrich_many_equals_enrich_one_by_one() -> None:
    week = priced_chain(FORWARD, STRIKES[::5], T_YEARS, RATE, _vol)
    other = priced_chain(FORWARD * 2.1, STRIKES[::5] * 2, T_YEARS, RATE, _vol)
    previous = pd.DataFrame({"tradingsymbol": week["tradingsymbol"], "oi": 900.0, "last_price": 1.0})
    snapshots = [snapshot(week, spot=SPOT), snapshot(other, spot=SPOT * 2.1, index="BANKNIFTY"), snapshot(week.iloc[:0])]
    refs = {"NIFTY": SessionReference(prev_close_legs=previous, day_open_spot=23_990.0)}
    together = enrich_many(snapshots, RATE, refs)
    for chain, snap in zip(together, snapshots, strict=True):
        alone = enrich(snap, RATE, refs.get(snap.index))
        pd.testing.assert_frame_equal(chain.options, alone.options)
        assert chain.overview.keys() == alone.overview.keys()
        for key, value in chain.overview.items():
            assert value == alone.overview[key] or (value != value and alone.overview[key] != alone.overview[key]), key
    assert together[0].options["oi_change"].tolist()[:2] == [100.0, 100.0]
    assert np.isnan(together[1].options["oi_change"]).all()
    assert enrich_many([], RATE) == []


def test_expiry_given_as_a_timestamp_is_taken_by_its_date() -> None:
    legs = priced_chain(FORWARD, [24_000.0], T_YEARS, RATE, _vol)
    legs["expiry"] = [pd.Timestamp(EXPIRY)] * len(legs)  # naive midnight, not a date
    chain = enrich(snapshot(legs, expiries={}), RATE)
    assert chain.options["t_years"].iloc[0] == pytest.approx(T_YEARS, rel=1e-15)
    assert (chain.options["iv_status"] == "ok").all()
