"""Pricing a bhavcopy's close-of-day chain: IV against a second library (vollib), the forward, t and the
exchange's OI change worked out by hand, rows on the collected schema, IV rank over imported days."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from vollib.black.implied_volatility import implied_volatility as black_iv
from vollib.black_scholes_merton.greeks.analytical import delta as bsm_delta

from g6_pipeline.analytics.close_of_day import price_days
from g6_pipeline.core.schema import OPTION_COLUMNS
from g6_pipeline.providers.bhavcopy import read_days
from g6_pipeline.storage.parquet import options_table, overview_table
from g6_pipeline_tests.fakes.bhavcopy import (
    csv_bytes,
    future_row,
    nse_name,
    priced_chain,
    rows_of,
    write_zip,
    years_to_expiry,
)

RATE = 0.065
DAY = date(2026, 1, 5)
EXPIRIES = [date(2026, 1, 6), date(2026, 1, 13), date(2026, 1, 27), date(2026, 2, 24)]
STRIKES = [25800.0, 25900.0, 26000.0, 26100.0, 26200.0]


def nifty_file(folder: Path, day: date = DAY, vol: float = 0.12) -> Path:
    live = [e for e in EXPIRIES if e >= day]
    rows = rows_of(day, "NIFTY", 25990.0, priced_chain(day, 26010.0, live, STRIKES, vol, RATE, 65), 65)
    rows.append(future_row(day, "NIFTY", EXPIRIES[2], 26050.0, 65))
    return write_zip(folder / nse_name(day), csv_bytes(rows))


def test_a_rows_iv_matches_vollib_on_the_forward_worked_out_by_hand(tmp_path: Path) -> None:
    [chain] = price_days(read_days([nifty_file(tmp_path)]), RATE)
    week = chain.options.loc[chain.options["expiry_tag"] == "this_week"].set_index(["strike", "side"])
    # the forward by hand: K + e^{rt}(C − P) at the strike where |C − P| is smallest, t from 15:29 to 15:30 a day on
    t = (86400.0 + 60.0) / (365.0 * 86400.0)
    assert t == pytest.approx(years_to_expiry(DAY, EXPIRIES[0]), rel=1e-15)
    flat = week.reset_index()
    price = {(float(k), str(s)): float(p) for k, s, p in zip(flat["strike"], flat["side"], flat["last_price"], strict=True)}
    gaps = {k: abs(price[(k, "CE")] - price[(k, "PE")]) for k in STRIKES}
    parity = min(gaps, key=lambda k: gaps[k])
    forward = parity + math.exp(RATE * t) * (price[(parity, "CE")] - price[(parity, "PE")])
    row: dict[str, Any] = {str(k): v for k, v in week.reset_index().set_index(["strike", "side"]).xs((26100.0, "CE")).items()}
    assert row["t_years"] == pytest.approx(t, rel=1e-12)
    assert row["forward"] == pytest.approx(forward, rel=1e-12)
    expected = black_iv(row["last_price"], forward, 26100.0, RATE, t, "c")
    assert row["iv"] == pytest.approx(expected, rel=1e-9)
    assert row["iv"] == pytest.approx(0.12, abs=0.01)  # the settlement price was priced (0.05 tick off 12 %)
    # Greeks against the underlying's close, with the carry the forward implies
    q = RATE - math.log(forward / 25990.0) / t
    assert row["delta"] == pytest.approx(bsm_delta("c", 25990.0, 26100.0, t, RATE, row["iv"], q), rel=1e-9)
    assert row["index_price"] == 25990.0


def test_the_rows_carry_the_exchanges_oi_change_and_fit_the_collected_schema(tmp_path: Path) -> None:
    [chain] = price_days(read_days([nifty_file(tmp_path)]), RATE)
    options = chain.options
    assert tuple(options.columns) == OPTION_COLUMNS
    # the file's ChngInOpnIntrst for strike i is 65·(i − 1); the previous close is 1.1 × the settlement price
    week = options.loc[options["expiry_tag"] == "this_week"]
    assert list(week["oi_change"][::2]) == [65.0 * (i - 1) for i in range(5)]
    labels = list(week["buildup"][::2])  # price fell (settle < previous close): OI up short build-up, down unwinding
    assert labels == ["long_unwinding", "", "short_buildup", "short_buildup", "short_buildup"]
    assert set(options["source"]) == {"bhavcopy"} and chain.overview["source"] == "bhavcopy"
    assert options["instrument_token"].isna().all()
    table = options_table(options)
    assert table.column("instrument_token").null_count == len(options)
    assert overview_table([chain.overview]).num_rows == 1
    assert chain.overview["pcr_scope_this_week"] == "full"
    assert math.isnan(chain.overview["vix"]) and math.isnan(chain.overview["day_high"])


def test_iv_rank_reads_the_earlier_imported_days(tmp_path: Path) -> None:
    days = [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)]
    vols = [0.10, 0.14, 0.12]
    paths = [nifty_file(tmp_path, d, v) for d, v in zip(days, vols, strict=True)]
    chains = price_days(read_days(paths), RATE, iv_rank_min_sessions=2)
    assert [c.timestamp.date() for c in chains] == days
    closes = [c.overview["atm_iv_this_month"] for c in chains]
    assert [c.overview["iv_history_this_month"] for c in chains] == [0, 1, 2]
    assert chains[1].overview["iv_rank_status_this_month"] == "short_history"
    low, high, today = closes[0], closes[1], closes[2]
    assert chains[2].overview["iv_percentile_this_month"] == 50.0  # one of two earlier closes is below today
    assert chains[2].overview["iv_rank_this_month"] == pytest.approx(100 * (today - low) / (high - low), rel=1e-12)
    # closes of stored sessions before the first day come first
    earlier = price_days(read_days(paths[2:]), RATE, history={"NIFTY": {"this_month": closes[:2]}},
                         iv_rank_min_sessions=2)
    assert earlier[0].overview["iv_rank_this_month"] == chains[2].overview["iv_rank_this_month"]


def test_a_contract_without_a_settlement_price_has_no_iv_and_no_made_up_price(tmp_path: Path) -> None:
    rows = rows_of(DAY, "NIFTY", 25990.0, priced_chain(DAY, 26010.0, EXPIRIES[:1], STRIKES, 0.12, RATE, 65), 65)
    rows[0]["SttlmPric"] = ""
    [chain] = price_days(read_days([write_zip(tmp_path / nse_name(DAY), csv_bytes(rows))]), RATE)
    first = chain.options.iloc[0]
    assert np.isnan(first["last_price"]) and np.isnan(first["iv"]) and first["iv_status"] == "bad_input"
    assert chain.overview["iv_failures"] == 0  # a leg without a price is not an IV failure
