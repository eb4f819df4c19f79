"""The whole lifecycle for any underlying: synthetic backfill, seal and its checks, the weekday master and the
IV rank for a stock and a further index; gap repair from the loopback Kite server's candles for a stock and
BANKEX (its price looked up in the NSE/BSE dumps, its options in NFO/BFO)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.history.backfill import backfill_synthetic
from g6_pipeline.history.repair import SOURCE, repair_day
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.config import make_config
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server
from g6_pipeline_tests.history.history import setup_of

pytestmark = pytest.mark.slow

DAYS = (date(2026, 11, 18), date(2026, 11, 20))
"""Wednesday to Friday: three sessions."""
NAMES = ("MIDCPNIFTY", "TATASTEEL")


def test_backfill_seals_checks_folds_and_ranks_any_underlying(tmp_path: Path) -> None:
    config = make_config(tmp_path / "config", tmp_path / "data", underlyings=list(NAMES),
                         analytics={"iv_rank_min_sessions": 2},
                         kinds={"index": {"strikes_below": 2, "strikes_above": 2, "wings": False}})
    setup = setup_of(config)
    report = backfill_synthetic(setup, *DAYS)
    assert {(o.index, o.outcome) for o in report.outcomes} == {(n, "generated") for n in NAMES}
    location: DataLocation = setup.location
    for name in NAMES:
        for day in setup.calendar.trading_days(*DAYS):
            record = json.loads(location.read_bytes(location.seal_record_file(name, day)))
            assert record["minutes"] == {"live": 375, "repaired": 0, "missing": 0}
            assert all(check["passed"] for check in record["checks"].values()), (name, day, record["checks"])
        assert len(report.weekday_master[name]) == 3  # every day folded
        assert location.exists(location.weekday_master_file(name, "this_month", 0, "FRIDAY"))
        last = load_overview(DAYS[1], name, data_dir=str(location.root))
        # two earlier closes (the minimum here): the last day's IV rank is given
        assert last["iv_rank_status_this_month"].eq("ok").all() and np.isfinite(last["iv_rank_this_month"]).all()
    steel = load_chain(DAYS[1], "TATASTEEL", data_dir=str(location.root))
    assert set(steel["lot_size"]) == {SPECS["TATASTEEL"].lot_size}
    assert steel.groupby("timestamp").size().eq(2 * 2 * 11).all()  # this and next month, ±5 strikes, CE/PE


OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)
MINUTES = [OPEN + timedelta(minutes=i) for i in range(16)]
HOLE = MINUTES[4:12]
LIVE = [m for m in MINUTES if m not in HOLE]
NOW = MINUTES[-1] + timedelta(minutes=1, seconds=10)


@dataclass
class KiteDay:
    collector: Collector
    server: KiteServerHandle
    market: SyntheticMarket
    data: Path


@pytest.fixture
def kite_day(tmp_path: Path) -> Iterator[KiteDay]:
    clock = {"now": OPEN}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        config = write_kite_config(tmp_path, server.url, strikes=2)
        (config / "indices_config.json").write_text(json.dumps({"RELIANCE": {"strikes_below": 2, "strikes_above": 2},
                                                                "BANKEX": {"strikes_below": 2, "strikes_above": 2,
                                                                           "wings": False}}))
        collector = Collector.from_settings(load_settings(config, environ={}))
        collector.publishers = []
        for minute in LIVE:
            clock["now"] = minute + timedelta(seconds=5)
            report = run_cycle(collector, clock["now"])
            assert {n: o.status for n, o in report.indices.items()} == {"BANKEX": "ok", "RELIANCE": "ok"}
        clock["now"] = NOW
        yield KiteDay(collector, server, market, tmp_path / "data")


def test_gaps_of_a_stock_and_bankex_are_refilled_from_candles(kite_day: KiteDay) -> None:
    kite = kite_day.collector.settings.kite
    source = KiteSource(kite, TokenStore(kite.token_file), backoff_base=0.01, historical_bucket=TokenBucket(50))
    report = repair_day(kite_day.collector.setup, source, OPEN.date(), now=NOW)
    for name, exchange in (("RELIANCE", "NFO"), ("BANKEX", "BFO")):
        result = report.indices[name]
        assert (result.expected, result.present) == (16, len(LIVE)) and sorted(result.repaired) == HOLE, name
        rows = load_chain(OPEN.date(), name, data_dir=str(kite_day.data))
        repaired = rows.loc[rows["source"] == SOURCE]
        stamps = pd.DatetimeIndex(repaired["timestamp"]).tz_convert(IST)
        at = repaired.loc[stamps == HOLE[3]]
        keys = [f"{exchange}:{s}" for s in at["tradingsymbol"]]
        quotes = kite_day.market.quote([*keys, SPECS[name].spot_key], HOLE[3])
        assert at["last_price"].tolist() == [quotes[k]["last_price"] for k in keys]
        assert (at["index_price"] == quotes[SPECS[name].spot_key]["last_price"]).all()
        assert np.isfinite(at["iv"].to_numpy()).mean() > 0.5
