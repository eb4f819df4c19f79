"""The quote budget from a day's dumps: calls, instruments and seconds per minute, and what to cut."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.providers.budget import alternatives, cached, cuts, estimate, render
from g6_pipeline.providers.sources import SyntheticSource
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings.model import Settings

NOW = datetime(2026, 11, 19, 10, 5, tzinfo=IST)


def settings(**raw: Any) -> Settings:
    return Settings.model_validate(raw)


def test_fo_stocks_fit_in_twenty_calls(market: SyntheticMarket) -> None:
    dumps = cached(SyntheticSource(market).instruments)
    budget = estimate(settings(underlyings=["fo_stocks"]), dumps, NOW)
    # by hand: ±5 strikes = 11 strikes × CE/PE × this and next month = 44 legs a stock, 207 stocks
    assert [c.instruments for c in budget.costs] == [44] * 207 and budget.options == 9108
    assert budget.prices == 208  # every stock's price and the India VIX
    assert budget.calls == 1 + 19 and budget.seconds == 20.0 and budget.fits  # ⌈9,108 / 500⌉ = 19
    text = render(budget, "kite")
    assert "207 stocks: 9,108 option quotes (44 each)" in text and "20 quote calls" in text and "fits the minute" in text


def test_a_configuration_over_the_minute_says_what_to_cut(market: SyntheticMarket) -> None:
    dumps = cached(SyntheticSource(market).instruments)
    wide = settings(underlyings=["NIFTY", "fo_stocks"], kinds={"stock": {"strikes_below": 15, "strikes_above": 15}})
    budget = estimate(wide, dumps, NOW)
    # 31 strikes × 2 sides × 2 expiries = 124 legs a stock (20 listed strikes a side: the window is not cut)
    assert {c.instruments for c in budget.costs[1:]} == {124} and not budget.fits
    assert budget.allowed_calls == 40 and budget.calls > 40
    alts = alternatives(wide, dumps, NOW)
    lines = cuts(budget, alts)
    assert lines[0].startswith("leave out the last ") and "ZYDUSLIFE" in lines[0]
    assert any('kinds.stock.expiry_tags ["this_month"]' in line for line in lines)
    narrower = next(a for label, a in alts.items() if "strikes_below" in label)
    assert narrower.fits
    text = render(budget, "kite", lines)
    assert "does NOT fit the minute" in text and text.count("    - ") == len(lines)


def test_a_name_the_dump_lacks_costs_nothing_and_is_named(market: SyntheticMarket) -> None:
    dumps = cached(SyntheticSource(market).instruments)
    budget = estimate(settings(underlyings=["NIFTY", "NEWCO"], indices={"NEWCO": {"exchange": "NFO"}}), dumps, NOW)
    newco = budget.costs[1]
    assert newco.name == "NEWCO" and newco.instruments == 0 and "no NFO-OPT contracts named 'NEWCO'" in str(newco.problem)
    assert "not in the 2026-11-19 dumps, not collected: NEWCO" in render(budget, "kite")


@pytest.mark.parametrize("rate", [1.0, 2.0])
def test_the_rate_sets_the_seconds(calendar: MarketCalendar, rate: float) -> None:
    market = SyntheticMarket(6, calendar)
    budget = estimate(settings(underlyings=["indices"], kite={"requests_per_second": rate}),
                      cached(SyntheticSource(market).instruments), NOW)
    assert budget.seconds == pytest.approx(budget.calls / rate)
    assert budget.allowed_calls == int(40 * rate)
