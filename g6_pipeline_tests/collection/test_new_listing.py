"""An expiry the exchange lists during the session (a weekly listed after the open) is collected from the next
minute the dump is read again, with no gap reported for the minutes before it existed, and the day seals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.history.gaps import day_gaps
from g6_pipeline.history.seal import seal_trading_day
from g6_pipeline.providers import ChainProvider
from g6_pipeline.providers.sources import MockSource
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.parquet import OPTIONS, read_table
from g6_pipeline_tests.fakes.config import make_config

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)  # a Monday; NIFTY expires on Tuesdays
DAY = OPEN.date()
MONTHLY = date(2026, 11, 24)  # this week's expiry is the month's
WEEKLY = date(2026, 12, 1)  # listed during the session


class LateWeekly(MockSource):
    """The mock dump, NIFTY's weekly of 1 December listed only once `listed` is set."""

    listed = False

    def _expiries(self, name: str, day: date) -> list[tuple[date, bool]]:
        return [(e, m) for e, m in super()._expiries(name, day) if self.listed or name != "NIFTY" or e != WEEKLY]


def test_a_weekly_listed_mid_session_is_collected_from_the_next_minute_with_no_gap_before(tmp_path: Path) -> None:
    loaded = load_settings(make_config(tmp_path / "config", tmp_path / "data"), environ={})
    source = LateWeekly()
    provider = ChainProvider("mock", source, clock=lambda: OPEN, dump_refresh=timedelta(minutes=1))
    collector = Collector.from_settings(loaded, provider=provider)
    collector.publishers = []
    minutes = [OPEN + timedelta(minutes=k) for k in range(5)]
    for minute in minutes:
        if minute == minutes[3]:
            source.listed = True  # the exchange lists the weekly between 09:17 and 09:18
        assert run_cycle(collector, minute).not_stored() == []

    location = collector.location
    frames = [read_table(location, location.minute_slice(OPTIONS, DAY, "NIFTY", m)).to_pandas() for m in minutes]
    expiries = [set(pd.to_datetime(f["expiry"]).dt.date) for f in frames]
    assert [WEEKLY in e for e in expiries] == [False, False, False, True, True]
    assert all(MONTHLY in e for e in expiries)
    weekly_tags = set(frames[3].loc[pd.to_datetime(frames[3]["expiry"]).dt.date == WEEKLY, "expiry_tag"])
    assert weekly_tags == {"next_week"}

    assert day_gaps(collector.setup, DAY, minutes[-1] + timedelta(minutes=1)) == {}
    sealed = seal_trading_day(collector.setup, DAY, "NIFTY")
    assert sealed.minutes == {"live": 5, "repaired": 0, "missing": 375 - 5}  # per minute, not per expiry
    assert sealed.checks["no_duplicates"].passed
    day = read_table(location, location.sealed_file(OPTIONS, DAY, "NIFTY")).to_pandas()
    listed = day[pd.to_datetime(day["expiry"]).dt.date == WEEKLY]
    assert sorted(set(pd.DatetimeIndex(listed["timestamp"]).tz_convert(IST).to_pydatetime())) == minutes[3:]
