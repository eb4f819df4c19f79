"""The day's instrument dump is read again during the session at most every `DUMP_REFRESH`, through the instrument
cache too (a Kite dump downloaded again once it is that old); a failed reading keeps the dump already held."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.instruments import DumpError, InstrumentCache
from g6_pipeline.instruments.cache import DUMP_REFRESH
from g6_pipeline.providers import ChainProvider
from g6_pipeline.providers.sources import MockSource
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.config import make_config

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)
DAY = OPEN.date()


class CountingSource(MockSource):
    """The mock dump, counting the readings by exchange; `failing` makes them raise."""

    def __init__(self) -> None:
        self.readings: dict[str, int] = {}
        self.failing = False
        self.quotes = MockSource()  # its quotes read its own dump, not counted

    def quote(self, keys: Sequence[str], now: datetime) -> Mapping[str, Mapping[str, Any]]:
        return self.quotes.quote(keys, now)

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        self.readings[exchange] = self.readings.get(exchange, 0) + 1
        if self.failing:
            raise DumpError(f"{exchange} dump: connection reset")
        return super().instruments(exchange, day)


def test_the_dump_is_read_again_once_per_refresh_and_a_failed_reading_keeps_the_one_held(tmp_path: Path) -> None:
    indices = load_settings(make_config(tmp_path / "config", tmp_path / "data"), environ={}).settings.enabled_indices
    source = CountingSource()
    provider = ChainProvider("mock", source, clock=lambda: OPEN)
    steps = int(2 * DUMP_REFRESH / timedelta(minutes=1))
    for k in range(steps + 1):  # two refresh periods, minute by minute
        provider.prepare(indices, OPEN + timedelta(minutes=k))
    assert source.readings == {"NFO": 3, "BFO": 3}  # at the open, and once each refresh period after

    source.failing = True
    result = provider.fetch(indices, OPEN + 3 * DUMP_REFRESH)
    assert source.readings == {"NFO": 4, "BFO": 4}
    assert result.failures == {} and set(result.snapshots) == set(indices)


def test_the_cache_downloads_a_dump_again_once_it_is_max_age_old(tmp_path: Path) -> None:
    cache = InstrumentCache(tmp_path / "cache")
    first = MockSource().instruments("NFO", DAY)
    listed = pd.concat([first, first.iloc[:1].assign(instrument_token=1, tradingsymbol="NIFTYNEW")], ignore_index=True)
    downloads: list[datetime] = []

    def download(frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
        downloads.append(now)
        return frame

    frame, fresh = cache.get("NFO", DAY, lambda: download(first, OPEN), now=OPEN, max_age=DUMP_REFRESH)
    assert fresh and len(frame) == len(first)
    soon = OPEN + DUMP_REFRESH - timedelta(minutes=1)
    frame, fresh = cache.get("NFO", DAY, lambda: download(listed, soon), now=soon, max_age=DUMP_REFRESH)
    assert not fresh and len(frame) == len(first)
    later = OPEN + DUMP_REFRESH
    frame, fresh = cache.get("NFO", DAY, lambda: download(listed, later), now=later, max_age=DUMP_REFRESH)
    assert fresh and "NIFTYNEW" in set(frame["tradingsymbol"])
    assert downloads == [OPEN, later]

    def unreachable() -> pd.DataFrame:
        raise DumpError("NFO dump: connection reset")

    frame, fresh = cache.get("NFO", DAY, unreachable, now=later + DUMP_REFRESH, max_age=DUMP_REFRESH)
    assert not fresh and "NIFTYNEW" in set(frame["tradingsymbol"])  # the cached dump, not a failure
    assert cache.get("NFO", DAY, unreachable)[0].equals(frame)  # without an age, the cached dump as before
    with pytest.raises(DumpError):
        InstrumentCache(tmp_path / "empty").get("NFO", DAY, unreachable, now=OPEN, max_age=DUMP_REFRESH)
