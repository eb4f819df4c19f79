"""The simulated market against the figures a trader expects (levels, correlation, OI and volume, expiries).

The reference ranges are the approximate exchange figures stated in g6_pipeline/providers/synthetic/README.md.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.core.calendar import MarketCalendar, packaged_holidays
from g6_pipeline.core.clock import IST
from g6_pipeline.instruments import build_universe
from g6_pipeline.providers.factory import make_provider
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket, listed_expiries
from g6_pipeline.providers.synthetic.specs import REFERENCE_DATE
from g6_pipeline.settings.model import Settings

INDICES = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")
NATIONAL_HOLIDAYS = {(1, 26), (8, 15), (10, 2), (12, 25)}
ATM_REFERENCE = {  # ATM strike, one side, nearest expiry: (OI lots low, high), (day volume lots low, high)
    "NIFTY": ((5e4, 3e5), (1e6, 1e7)),
    "BANKNIFTY": ((1e4, 1e5), (1e5, 1e6)),
    "FINNIFTY": ((1e3, 1e4), (1e4, 1e5)),
    "SENSEX": ((3e4, 2e5), (1e5, 5e6)),
}


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), IST)


def chain(market: SyntheticMarket, when: datetime) -> pd.DataFrame:
    """Every listed option of the dump of `when`'s day with its quoted OI and volume."""
    parts = []
    for exchange in ("NFO", "BFO"):
        dump = market.instruments(exchange, when.date())
        dump = dump.loc[dump["instrument_type"].isin(["CE", "PE"])]
        dump = dump.assign(key=exchange + ":" + dump["tradingsymbol"])
        names, cols = market.option_quote_columns(dump["key"].tolist(), when)
        parts.append(dump.set_index("key").loc[names].assign(oi=cols["oi"], volume=cols["volume"]))
    return pd.concat(parts)


def test_levels_anchored_on_the_reference_date(market: SyntheticMarket, calendar: MarketCalendar) -> None:
    after = calendar.next_trading_day(REFERENCE_DATE)
    for name in INDICES:
        spec = SPECS[name]
        assert market.model.close(name, REFERENCE_DATE) == pytest.approx(spec.reference_level, rel=1e-9)
        spot = market.quote([spec.spot_key], at(after, 9, 15))[spec.spot_key]["last_price"]
        assert abs(spot / spec.reference_level - 1) < 0.03, name
        closes = [market.model.close(name, d) for d in calendar.trading_days(date(2025, 1, 1), date(2026, 12, 31))]
        assert min(closes) / spec.reference_level > 0.65 and max(closes) / spec.reference_level < 1.35, name


def test_reference_levels_come_from_the_settings(calendar: MarketCalendar, tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"synthetic": {"reference_levels": {"NIFTY": 30000.0}, "reference_date": "2026-11-20"}})
    provider = make_provider(settings, tmp_path, calendar)
    snaps = provider.fetch(settings.enabled_indices, at(date(2026, 11, 20), 15, 29)).snapshots
    assert abs(snaps["NIFTY"].spot / 30000.0 - 1) < 0.01
    assert abs(snaps["SENSEX"].spot / SPECS["SENSEX"].reference_level - 1) < 0.05
    with pytest.raises(ValueError, match="no underlying DOWJONES"):
        SyntheticMarket(6, calendar, {"DOWJONES": 40000.0})


def test_indices_move_together(market: SyntheticMarket, calendar: MarketCalendar) -> None:
    days = calendar.trading_days(date(2025, 1, 1), date(2026, 12, 31))
    daily = pd.DataFrame({n: np.diff(np.log([market.model.close(n, d) for d in days])) for n in INDICES})
    snaps = [market.day_snapshots(Settings().enabled_indices, d) for d in (date(2026, 11, 18), date(2026, 11, 19))]
    minute = pd.DataFrame({n: np.concatenate([np.diff(np.log([s.spot for s in day[n]])) for day in snaps]) for n in INDICES})
    for returns in (daily, minute):
        corr = returns.corr().to_numpy()[np.triu_indices(len(INDICES), 1)]
        assert corr.min() > 0.75 and corr.max() < 0.97, corr


def test_atm_oi_and_volume_of_the_right_order(market: SyntheticMarket) -> None:
    found: dict[str, list[tuple[float, float]]] = {n: [] for n in INDICES}
    for day in (date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)):
        c = chain(market, at(day, 15, 29))
        for name in INDICES:
            spec = SPECS[name]
            spot = market.quote([spec.spot_key], at(day, 15, 29))[spec.spot_key]["last_price"]
            near = c.loc[(c["name"] == name) & (c["expiry"] == c.loc[c["name"] == name, "expiry"].min())]
            atm = near.loc[(near["strike"] - spot).abs() == (near["strike"] - spot).abs().min()]
            found[name].append(((atm["oi"] / atm["lot_size"]).mean(), (atm["volume"] / atm["lot_size"]).mean()))
    for name, ((oi_lo, oi_hi), (vol_lo, vol_hi)) in ATM_REFERENCE.items():
        oi, volume = np.median(found[name], axis=0)
        assert oi_lo <= oi <= oi_hi and vol_lo <= volume <= vol_hi, (name, oi, volume)


def test_oi_peaks_at_round_strikes(market: SyntheticMarket) -> None:
    c = chain(market, at(date(2026, 11, 18), 11, 0))
    for (name, expiry, side), part in c.groupby(["name", "expiry", "instrument_type"]):
        peak = float(part["strike"].to_numpy()[part["oi"].to_numpy().argmax()])
        assert peak % SPECS[str(name)].round_strikes[1] == 0, (name, expiry, side, peak)


@pytest.mark.parametrize(("name", "expiry", "first"), [("NIFTY", date(2026, 12, 1), date(2026, 11, 11)),
                                                         ("BANKNIFTY", date(2026, 11, 23), date(2026, 10, 23))])
def test_oi_builds_towards_expiry(market: SyntheticMarket, calendar: MarketCalendar, name: str, expiry: date,
                                  first: date) -> None:
    def total(day: date) -> float:
        c = chain(market, at(day, 15, 29))
        return float(c.loc[(c["name"] == name) & (c["expiry"] == expiry), "oi"].sum())

    assert total(calendar.previous_trading_day(expiry)) > 1.5 * total(first)


def test_volume_is_cumulative_and_u_shaped(market: SyntheticMarket, calendar: MarketCalendar) -> None:
    day = date(2026, 11, 18)
    c = chain(market, at(day, 9, 15))
    nifty = c.loc[(c["name"] == "NIFTY") & (c["expiry"] == c.loc[c["name"] == "NIFTY", "expiry"].min())]
    spot = market.model.close("NIFTY", calendar.previous_trading_day(day))
    keys = nifty.index[(nifty["strike"] - spot).abs() <= 200].tolist()
    minutes = calendar.session_minutes(day)
    volume = np.array([market.option_quote_columns(keys, m)[1]["volume"] for m in minutes]).sum(axis=1)
    traded = np.diff(volume, prepend=0.0)
    assert traded[0] > 0 and (traded >= 0).all()
    midday = traded[165:225].mean()  # 12:00-13:00
    assert traded[:15].mean() > 2 * midday and traded[-15:].mean() > 2 * midday
    after = market.option_quote_columns(keys, at(day, 18, 0))[1]["volume"].sum()
    assert after >= volume[-1]


def test_no_expiry_on_a_holiday_and_provisional_ones_on_weekdays(calendar: MarketCalendar) -> None:
    for day in calendar.trading_days(date(2025, 1, 1), date(2026, 12, 31)):
        for spec in SPECS.values():
            for expiry, _ in listed_expiries(spec, day, calendar):
                assert calendar.has_regular_session(expiry) and expiry.weekday() < 5, (spec.name, day, expiry)
                if not calendar.is_provisional(expiry):
                    assert (expiry.month, expiry.day) not in NATIONAL_HOLIDAYS, (spec.name, day, expiry)


def test_december_lists_next_year_expiries_provisionally(market: SyntheticMarket, tmp_path: Path) -> None:
    """In December every expiry tag still resolves (next_month was missing for every index); once 2027's holidays
    are imported the provisional January expiry moves off Republic Day, as the exchange would list it."""
    day = date(2026, 12, 20)
    for name, ix in Settings().enabled_indices.items():
        uni = build_universe(market.instruments(ix.exchange, day), name, ix.exchange, ix.spot_key, ix.expiry_tags, day)
        assert uni.unresolved == () and set(uni.expiries) == set(ix.expiry_tags), name
        assert uni.expiries["next_month"].year == 2027 and uni.expiries["this_month"].month == 12, name
    dump = market.instruments("NFO", day)
    banknifty = dump.loc[(dump["name"] == "BANKNIFTY") & (dump["segment"] == "NFO-OPT"), "expiry"]
    assert set(banknifty) == {date(2026, 12, 29), date(2027, 1, 26), date(2027, 2, 23)}  # last Tuesdays
    (tmp_path / "holidays.json").write_text(json.dumps(json.loads(packaged_holidays().read_text())
                                                       | {"years": {"2026": [], "2027": [{"date": "2027-01-26"}]}}))
    imported = SyntheticMarket(6, MarketCalendar.load(tmp_path)).instruments("NFO", day)
    moved = imported.loc[(imported["name"] == "BANKNIFTY") & (imported["segment"] == "NFO-OPT"), "expiry"]
    assert set(moved) == {date(2026, 12, 29), date(2027, 1, 25), date(2027, 2, 23)}


def test_the_near_expiry_rolls_after_expiry_day(market: SyntheticMarket, calendar: MarketCalendar,
                                                tmp_path: Path) -> None:
    provider = make_provider(Settings(), tmp_path, calendar)
    expiry_day = date(2026, 11, 17)
    on_expiry = provider.fetch(Settings().enabled_indices, at(expiry_day, 9, 15)).snapshots["NIFTY"]
    assert on_expiry.expiries["this_week"] == expiry_day
    following = calendar.next_trading_day(expiry_day)
    listed = market.instruments("NFO", following)
    nifty = listed.loc[(listed["name"] == "NIFTY") & listed["instrument_type"].isin(["CE", "PE"]), "expiry"]
    assert expiry_day not in set(nifty)
    rolled = provider.fetch(Settings().enabled_indices, at(following, 9, 15)).snapshots["NIFTY"]
    assert rolled.expiries["this_week"] == min(nifty) > expiry_day
