"""The simulated market at any hour: a demo session opens when collection starts outside the session hours,
volume accumulates from that open (never a whole day's volume in its first minute), and the open is kept
from one minute-run process to the next."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import fetch_step, run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.providers.synthetic.session import plan_minute
from g6_pipeline.settings import load_settings
from g6_pipeline.settings.model import Settings

DAY = date(2026, 11, 19)  # a Thursday; the 18th and the 20th are trading days too


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), IST)


def atm_keys(market: SyntheticMarket, day: date, level: float) -> list[str]:
    """NIFTY's calls and puts of the nearest expiry listed on `day`, the five strikes nearest `level`."""
    dump = market.instruments("NFO", day)
    nifty = dump[(dump["name"] == "NIFTY") & dump["instrument_type"].isin(["CE", "PE"])]
    near = nifty[nifty["expiry"] == nifty["expiry"].min()]
    strikes = sorted(set(near["strike"]), key=lambda k: abs(k - level))[:5]
    return ["NFO:" + s for s in near.loc[near["strike"].isin(strikes), "tradingsymbol"]]


def volume(market: SyntheticMarket, keys: list[str], when: datetime) -> float:
    return float(market.option_quote_columns(keys, when)[1]["volume"].sum())


def spot(market: SyntheticMarket, when: datetime) -> float:
    return float(market.quote(["NSE:NIFTY 50"], when)["NSE:NIFTY 50"]["last_price"])


def test_the_plan_of_a_minute(calendar: MarketCalendar) -> None:
    opened = at(DAY, 9, 15)
    assert plan_minute(calendar, None, at(DAY, 11, 0)) == plan_minute(calendar, at(DAY, 0, 5), at(DAY, 11, 0))
    assert plan_minute(calendar, None, at(DAY, 11, 0)).kind == "exchange"
    assert plan_minute(calendar, opened, at(DAY, 11, 0)).opened == opened
    assert plan_minute(calendar, None, at(DAY, 0, 15)).opened == at(DAY, 0, 15)  # nothing kept: opens now
    assert plan_minute(calendar, at(DAY, 0, 15), at(DAY, 3, 0)).opened == at(DAY, 0, 15)  # kept: still open
    assert plan_minute(calendar, opened, at(DAY, 18, 0)).kind == "shut"  # after the session it served
    assert plan_minute(calendar, at(DAY, 20, 0), at(DAY, 19, 0)).kind == "shut"  # before the day's demo opened
    assert plan_minute(calendar, at(DAY, 22, 0), at(DAY + timedelta(1), 0, 10)).opened == at(DAY + timedelta(1), 0, 10)
    assert plan_minute(calendar, at(DAY, 7, 0), at(DAY, 20, 0)).opened == at(DAY, 20, 0)  # a session came between


def test_a_demo_started_at_midnight_trades_from_its_own_open(calendar: MarketCalendar) -> None:
    market = SyntheticMarket(6, calendar)
    keys = atm_keys(market, DAY - timedelta(1), market.model.close("NIFTY", DAY - timedelta(1)))
    first = volume(market, keys, at(DAY, 0, 15))  # collection starts at 00:15, before any session
    later = [volume(market, keys, at(DAY, 0, 15) + timedelta(minutes=m)) for m in (1, 30, 120, 374)]
    day_total = later[-1]  # the demo's last minute: a whole session's volume
    assert 0 < first < 0.05 * day_total, "the first minute trades what a session's first minute does"
    assert first < later[0] < later[1] < later[2] < day_total
    moved = {spot(market, at(DAY, 0, 15) + timedelta(minutes=m)) for m in range(5)}
    assert len(moved) > 1, "the demo's index moves"
    # after a session's length the demo shuts: nothing trades, the index stands, until the exchange opens
    shut = [at(DAY, 6, 31), at(DAY, 8, 0), at(DAY, 9, 14)]
    assert {volume(market, keys, t) for t in shut} == {day_total}
    assert len({spot(market, t) for t in shut}) == 1
    # the exchange session trades from its own open again
    assert volume(market, keys, at(DAY, 9, 15)) < 0.05 * day_total


def test_the_demo_opens_at_whichever_minute_comes_first(calendar: MarketCalendar) -> None:
    keys: list[str] = []
    for start in (at(DAY, 19, 0), at(DAY, 22, 30), at(date(2026, 11, 21), 11, 5)):  # evening, night, a Saturday
        market = SyntheticMarket(6, calendar)
        keys = keys or atm_keys(market, DAY, market.model.close("NIFTY", DAY))
        opening = volume(market, keys, start)
        hour_later = volume(market, keys, start + timedelta(minutes=60))
        assert 0 < opening < hour_later / 5, start


def test_after_a_session_it_served_the_market_stands_at_its_close(calendar: MarketCalendar) -> None:
    market = SyntheticMarket(6, calendar)
    keys = atm_keys(market, DAY, market.model.close("NIFTY", DAY - timedelta(1)))
    close = volume(market, keys, at(DAY, 15, 29))
    night = [at(DAY, 15, 30), at(DAY, 18, 0), at(DAY, 23, 59)]
    assert {volume(market, keys, t) for t in night} == {close}
    levels = {spot(market, t) for t in night}
    assert levels == {round(market.model.close("NIFTY", DAY), 2)}  # the index stands at its close


def test_a_new_minute_run_keeps_the_demo_open_of_the_last(g6_env: tuple[Path, Path], calendar: MarketCalendar) -> None:
    config, _ = g6_env

    def collector() -> Collector:
        """A collector as a new minute-run process builds it (only the provider-state publisher)."""
        built = Collector.from_settings(load_settings(config))
        built.publishers = [(name, p) for name, p in built.publishers if name == "provider state"]
        return built

    run_cycle(collector(), at(DAY, 0, 15))  # the first minute collected today, in a process of its own
    legs = fetch_step(collector(), at(DAY, 1, 15)).snapshots["NIFTY"].legs  # an hour later, another process
    got = dict(zip("NFO:" + legs["tradingsymbol"], legs["volume"], strict=True))
    long_lived = SyntheticMarket(6, calendar)  # one process living through both minutes
    long_lived.quote(list(got)[:1], at(DAY, 0, 15))
    names, columns = long_lived.option_quote_columns(list(got), at(DAY, 1, 15))
    assert got == dict(zip(names, columns["volume"], strict=True))
    fresh = volume(SyntheticMarket(6, calendar), list(got), at(DAY, 1, 15))  # nothing kept: it opens at 01:15
    assert 0 < fresh < float(np.sum(columns["volume"])) / 5


def test_backfilled_days_do_not_depend_on_what_was_served_before(calendar: MarketCalendar) -> None:
    quiet, busy = SyntheticMarket(6, calendar), SyntheticMarket(6, calendar)
    busy.quote(["NSE:NIFTY 50"], at(DAY, 2, 0))  # a demo served first
    a = quiet.day_snapshots({"NIFTY": Settings().indices["NIFTY"]}, DAY)["NIFTY"]
    b = busy.day_snapshots({"NIFTY": Settings().indices["NIFTY"]}, DAY)["NIFTY"]
    assert all(x.legs.equals(y.legs) for x, y in zip(a, b, strict=True))
