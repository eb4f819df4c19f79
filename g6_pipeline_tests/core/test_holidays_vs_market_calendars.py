"""The shipped holiday file agrees with `pandas_market_calendars`' NSE and BSE calendars, day by day, for every
year it covers: the same trading days and the same session hours (the Muhurat session included).

pandas_market_calendars' BSE calendar lists no Muhurat session (BSE held it with NSE on 2025-10-21, 13:45-14:45
IST, per its own notice), so for BSE the file's special sessions are compared against NSE only."""

from __future__ import annotations

from datetime import date

import pytest

from g6_pipeline.core.calendar import IST, MarketCalendar, packaged_holidays

mcal = pytest.importorskip("pandas_market_calendars", reason="pandas_market_calendars is a dev dependency")


@pytest.mark.parametrize("exchange", ["NSE", "BSE"])
def test_shipped_years_match_pandas_market_calendars(exchange: str) -> None:
    ours = MarketCalendar.load_file(packaged_holidays())
    theirs = mcal.get_calendar(exchange)
    for year in sorted(ours.years):
        schedule = theirs.schedule(f"{year}-01-01", f"{year}-12-31")
        expected = {
            ts.date(): (row.market_open.tz_convert(IST).time(), row.market_close.tz_convert(IST).time())
            for ts, row in schedule.iterrows()
        }
        got = {}
        for day in ours.trading_days(date(year, 1, 1), date(year, 12, 31)):
            session = ours.session(day)
            assert session is not None
            if exchange == "BSE" and session.special and day not in expected:
                continue
            got[day] = (session.open, session.close)
        assert got == expected, {
            "only in G6": sorted(set(got) - set(expected)),
            "only in pandas_market_calendars": sorted(set(expected) - set(got)),
            "different hours": sorted(d for d in set(got) & set(expected) if got[d] != expected[d]),
        }
