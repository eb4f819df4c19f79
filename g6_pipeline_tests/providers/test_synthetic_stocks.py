"""The simulated market for any underlying: the F&O stocks and the three further indices, as Kite lists them."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.core.underlyings import fo_stocks
from g6_pipeline.instruments import build_universe, parse_dump_csv
from g6_pipeline.providers.factory import make_provider
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.providers.synthetic.specs import REFERENCE_DATE, round_step
from g6_pipeline.settings.model import Settings

DAY = date(2026, 11, 18)
NOW = datetime.combine(DAY, time(11, 0), IST)


NOV_MONTHLY_NSE = date(2026, 11, 23)
"""November's last Tuesday, the 24th, is a holiday (Guru Nanak's birthday): the expiry moves to Monday the 23rd."""
DEC_MONTHLY_NSE = date(2026, 12, 29)
NOV_MONTHLY_BSE = date(2026, 11, 26)
"""BSE: the month's last Thursday."""


def test_every_fo_stock_is_listed_with_its_lot_and_monthly_expiries(market: SyntheticMarket) -> None:
    nfo = parse_dump_csv(market.instruments_csv("NFO", DAY))
    options = nfo.loc[nfo["segment"] == "NFO-OPT"]
    assert set(fo_stocks()) <= set(options["name"])
    for symbol in ("RELIANCE", "TATASTEEL", "M&M", "IDEA"):
        uni = build_universe(nfo, symbol, "NFO", f"NSE:{symbol}", ["this_month", "next_month"], DAY)
        assert uni.lot_size == fo_stocks()[symbol].lot_size
        # monthly only, on the month's last Tuesday (NSE since September 2025), moved off a holiday
        assert uni.expiries == {"this_month": NOV_MONTHLY_NSE, "next_month": DEC_MONTHLY_NSE}
        assert uni.step == round_step(0.008 * SPECS[symbol].reference_level)
    half = next(s.name for s in SPECS.values() if s.kind == "stock" and s.step == 2.5)  # strikes such as 287.5
    odd = options.loc[(options["name"] == half) & (options["strike"] % 1 != 0)]
    assert len(odd) and odd["tradingsymbol"].str.fullmatch(rf"{half}26(NOV|DEC)\d+\.5(CE|PE)|{half}27JAN\d+\.5(CE|PE)").all()
    nse = market.instruments("NSE", DAY)
    reliance = nse.loc[nse["tradingsymbol"] == "RELIANCE"].iloc[0]
    assert (reliance["segment"], reliance["instrument_type"], reliance["name"]) == ("NSE", "EQ", "RELIANCE INDUSTRIES LTD")


def test_the_further_indices_are_listed_monthly_on_their_exchange(market: SyntheticMarket) -> None:
    nfo, bfo = market.instruments("NFO", DAY), market.instruments("BFO", DAY)
    mid = build_universe(nfo, "MIDCPNIFTY", "NFO", "NSE:NIFTY MID SELECT", ["this_month"], DAY)
    bankex = build_universe(bfo, "BANKEX", "BFO", "BSE:BANKEX", ["this_month", "next_month"], DAY)
    assert (mid.step, mid.lot_size, mid.expiries["this_month"]) == (25, 120, NOV_MONTHLY_NSE)
    assert bankex.expiries["this_month"] == NOV_MONTHLY_BSE
    keys = ["NSE:NIFTY MID SELECT", "NSE:NIFTY NEXT 50", "BSE:BANKEX", "NSE:RELIANCE", "NSE:M&M"]
    quotes = market.quote(keys, NOW)
    assert set(quotes) == set(keys)
    for key in keys:
        name = next(s.name for s in SPECS.values() if s.spot_key == key)
        assert abs(quotes[key]["last_price"] / SPECS[name].reference_level - 1) < 0.35, key


def daily_returns(market: SyntheticMarket, calendar: MarketCalendar, names: list[str]) -> dict[str, np.ndarray]:
    days = calendar.trading_days(date(2025, 1, 1), date(2026, 10, 30))
    return {n: np.diff(np.log([market.model.close(n, d) for d in days])) for n in names}


def test_stocks_move_more_than_the_indices_and_with_nifty(market: SyntheticMarket, calendar: MarketCalendar) -> None:
    stocks = list(fo_stocks())[::10]
    returns = daily_returns(market, calendar, ["NIFTY", "BANKNIFTY", *stocks])
    vol = {n: float(np.std(r) * np.sqrt(252)) for n, r in returns.items()}
    assert min(vol[s] for s in stocks) > max(vol["NIFTY"], vol["BANKNIFTY"]) * 1.3
    for s in stocks:
        corr = float(np.corrcoef(returns[s], returns["NIFTY"])[0, 1])
        assert 0.3 < corr < 0.85, (s, corr)
    assert market.model.close("RELIANCE", REFERENCE_DATE) == pytest.approx(SPECS["RELIANCE"].reference_level)


def test_a_stock_is_collected_through_the_same_provider(market: SyntheticMarket, calendar: MarketCalendar,
                                                        tmp_path: Path) -> None:
    settings = Settings.model_validate({"underlyings": ["RELIANCE", "MIDCPNIFTY", "BANKEX"]})
    provider = make_provider(settings, tmp_path, calendar)
    result = provider.fetch(settings.enabled_indices, NOW)
    assert set(result.snapshots) == {"RELIANCE", "MIDCPNIFTY", "BANKEX"} and not result.failures
    reliance = result.snapshots["RELIANCE"]
    # five strikes each side of ATM, no widening to the wings: 11 strikes × 2 sides × 2 monthly expiries
    assert len(reliance.legs) == 44 and set(reliance.legs["expiry_tag"]) == {"this_month", "next_month"}
    assert reliance.spot == market.quote(["NSE:RELIANCE"], NOW)["NSE:RELIANCE"]["last_price"]
    quoted = market.quote([f"NFO:{s}" for s in reliance.legs["tradingsymbol"]], NOW)
    np.testing.assert_allclose(reliance.legs["last_price"].to_numpy(),
                               [quoted[f"NFO:{s}"]["last_price"] for s in reliance.legs["tradingsymbol"]])
