"""The minute's quote plan: the call budget and which full chains fit it."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.providers.chain_plan import ExpiryChain, budget_calls, choose_full_chains
from g6_pipeline.providers.window import guess_total_vol


def chain(index: str, day: int, n: int) -> ExpiryChain:
    return ExpiryChain(index, date(2026, 12, day), tuple(f"{index}{day}:{i}" for i in range(n)))


def test_budget_is_the_rate_times_the_seconds() -> None:
    assert budget_calls(1.0) == 20 and budget_calls(3.0, 10.0) == 30 and budget_calls(0.5, 5.0) == 2
    assert budget_calls(math.inf) == math.inf


def test_nearest_chains_first_skipping_what_does_not_fit() -> None:
    candidates = [chain("SENSEX", 24, 100), chain("NIFTY", 29, 450), chain("NIFTY", 1, 300), chain("SENSEX", 3, 250)]
    # 3 calls already made, budget 5: 1,000 more keys at 500 a call
    chosen = choose_full_chains(candidates, used_calls=3, budget=5, batch=500)
    # Dec 1 (300) + Dec 3 (250) = 550; Dec 24 (+100) = 650; Dec 29 (+450) = 1,100 does not fit
    assert [(c.index, c.expiry.day) for c in chosen] == [("NIFTY", 1), ("SENSEX", 3), ("SENSEX", 24)]
    assert choose_full_chains(candidates, used_calls=5, budget=5, batch=500) == []
    assert len(choose_full_chains(candidates, used_calls=0, budget=math.inf, batch=500)) == 4


def test_first_guess_of_volatility() -> None:
    minute = datetime(2026, 11, 19, 15, 30, tzinfo=IST)
    assert guess_total_vol(0.05, 13.0, date(2026, 12, 29), minute) == 0.05  # the last straddle's, when seen
    # 40 days to the expiry's close at 1.5 × VIX 13 %
    assert guess_total_vol(None, 13.0, date(2026, 12, 29), minute) == pytest.approx(0.195 * math.sqrt(40 / 365))
    assert guess_total_vol(math.nan, math.nan, date(2026, 12, 29), minute) == pytest.approx(0.30 * math.sqrt(40 / 365))
