"""Data-quality checks on hand-made days: clean data passes, each defect is counted."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from g6_pipeline.history import quality
from g6_pipeline_tests.fakes.chains import RATE, make_day

DAY = date(2026, 11, 23)


def _frame() -> pd.DataFrame:
    chains = make_day("NIFTY", DAY, ["0915", "0916", "0917"], half_width=5)
    return pd.concat([c.options for c in chains], ignore_index=True)


def test_completeness_counts_distinct_minutes() -> None:
    frame = _frame()
    assert quality.completeness(frame, 3).passed
    short = quality.completeness(frame, 375)
    assert not short.passed and short.value == 3 / 375 and short.details["minutes_missing"] == 372


def test_duplicates_are_counted() -> None:
    frame = _frame()
    assert quality.duplicates(frame).passed
    doubled = quality.duplicates(pd.concat([frame, frame.iloc[:5]]))
    assert not doubled.passed and doubled.value == 5


def test_iv_coverage_share() -> None:
    frame = _frame()
    frame.loc[frame.index[:40], "iv"] = np.nan
    result = quality.iv_coverage(frame, min_share=0.9)
    assert result.value == (len(frame) - 40) / len(frame)
    assert not result.passed and quality.iv_coverage(frame, min_share=0.5).passed


def test_clean_prices_show_no_static_arbitrage() -> None:
    result = quality.static_arbitrage(_frame(), rate=RATE)
    assert result.passed and result.value == 0 and result.details["parity_pairs_checked"] > 0


def test_a_mispriced_call_is_counted() -> None:
    frame = _frame()
    rows = frame.index[
        (frame.side == "CE")
        & (frame.offset == 100)
        & (frame.expiry_tag == "this_week")
        & (frame.timestamp == frame.timestamp.min())
    ]
    frame.loc[rows, ["last_price", "bid", "ask"]] += 500.0
    result = quality.static_arbitrage(frame, rate=RATE)
    assert not result.passed
    assert result.details["call_not_decreasing"] == 1  # +100 now above +50
    assert result.details["call_not_convex"] >= 1
    assert result.details["put_call_parity"] == 1


def test_completeness_counts_minutes_per_source() -> None:
    frame = _frame()
    frame["source"] = np.where(frame["timestamp"] == frame["timestamp"].min(), "kite_historical", "kite")
    result = quality.completeness(frame, 3)
    assert result.passed
    assert result.details["minutes_kite"] == 2 and result.details["minutes_kite_historical"] == 1
    assert result.description == (
        "3 of 3 session minutes collected (2 live, 1 repaired, 0 missing); by source: 2 kite, 1 kite_historical"
    )
    frame["source"] = np.where(frame["timestamp"] == frame["timestamp"].min(), "synthetic", "kite")
    mixed = quality.completeness(frame, 3)
    assert not mixed.passed and "mixes simulated and collected" in mixed.description


def test_completeness_counts_minutes_live_repaired_and_missing() -> None:
    chains = make_day("NIFTY", DAY, ["0915", "0916", "0917", "0918", "0919", "0922"], half_width=2)
    frame = pd.concat([c.options for c in chains], ignore_index=True)
    minute = frame["timestamp"].dt.strftime("%H%M")
    frame["source"] = np.where(minute.isin(["0917", "0918"]), "kite_historical", "kite")
    result = quality.completeness(frame, 8)  # 09:15-09:22: 09:20 and 09:21 were never stored
    assert not result.passed and result.value == 6 / 8
    assert {k: result.details[k] for k in ("minutes_live", "minutes_repaired", "minutes_missing")} == {
        "minutes_live": 4, "minutes_repaired": 2, "minutes_missing": 2
    }
    assert result.description.startswith("6 of 8 session minutes collected (4 live, 2 repaired, 2 missing)")
    assert quality.minute_kinds(frame.iloc[:0], 375) == {"live": 0, "repaired": 0, "missing": 375}
    frame["source"] = "kite_historical"  # a day repaired whole: complete, every minute repaired
    assert quality.minute_kinds(frame, 6) == {"live": 0, "repaired": 6, "missing": 0}
    assert quality.completeness(frame, 6).passed


def test_parity_is_checked_against_the_forward_the_prices_imply() -> None:
    frame = _frame()
    frame["forward"] += 3.0  # a forward read from one pair's last prices, off by their noise
    assert quality.static_arbitrage(frame, rate=RATE).details["put_call_parity"] == 0
    rows = frame.index[
        (frame.side == "PE")
        & (frame.offset == 100)
        & (frame.expiry_tag == "this_week")
        & (frame.timestamp == frame.timestamp.min())
    ]
    frame.loc[rows, ["last_price", "bid", "ask"]] += 5.0  # one put ₹5 dear: parity broken at its strike only
    assert quality.static_arbitrage(frame, rate=RATE).details["put_call_parity"] == 1
