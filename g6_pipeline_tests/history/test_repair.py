"""Gap repair from Kite's historical candles, against the loopback Kite server and the real client."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.history.repair import NOT_SUBSCRIBED, SOURCE, RepairReport, repair_day
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server

pytestmark = pytest.mark.slow

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)
MINUTES = [OPEN + timedelta(minutes=i) for i in range(30)]
HOLE = MINUTES[5:25]
LIVE = [m for m in MINUTES if m not in HOLE]
NOW = MINUTES[-1] + timedelta(minutes=1, seconds=10)
HISTORICAL = "/instruments/historical/"


@dataclass
class Day:
    """A day of live minutes with a 20-minute hole, collected through the real client."""

    collector: Collector
    server: KiteServerHandle
    market: SyntheticMarket
    data: Path
    clock: dict[str, datetime]

    def source(self, rate: float = 50.0) -> KiteSource:
        kite = self.collector.settings.kite
        return KiteSource(kite, TokenStore(kite.token_file), backoff_base=0.01,
                          historical_bucket=TokenBucket(rate) if rate else None)

    def repair(self, rate: float = 50.0, **kwargs: object) -> RepairReport:
        return repair_day(self.collector.setup, self.source(rate), OPEN.date(), now=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    clock = {"now": OPEN}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        collector = Collector.from_settings(load_settings(write_kite_config(tmp_path, server.url, strikes=2)))
        collector.publishers = []
        for minute in LIVE:
            clock["now"] = minute + timedelta(seconds=5)
            report = run_cycle(collector, clock["now"])
            assert all(o.status == "ok" for o in report.indices.values())
        clock["now"] = NOW
        yield Day(collector, server, market, tmp_path / "data", clock)


def _live_hash(data: Path, index: str) -> tuple[int, int]:
    rows = load_chain(OPEN.date(), index, data_dir=str(data))
    live = rows.loc[rows["source"] == "kite"].reset_index(drop=True)
    over = load_overview(OPEN.date(), index, data_dir=str(data))
    over = over.loc[over["source"] == "kite"].reset_index(drop=True)
    return int(pd.util.hash_pandas_object(live).sum()), int(pd.util.hash_pandas_object(over).sum())


def _csv_lines(data: Path) -> dict[Path, list[str]]:
    return {p: p.read_text().splitlines() for p in sorted(data.rglob(f"{OPEN.date().isoformat()}.csv"))}


def test_a_twenty_minute_hole_is_refilled_from_candles(day: Day) -> None:
    before = {ix: _live_hash(day.data, ix) for ix in ("NIFTY", "SENSEX")}
    csv_before = _csv_lines(day.data)
    report = day.repair()
    for ix in ("NIFTY", "SENSEX"):
        result = report.indices[ix]
        assert (result.expected, result.present) == (30, 10)
        assert sorted(result.repaired) == HOLE and result.missing == {}
        assert _live_hash(day.data, ix) == before[ix]
    csv_after = _csv_lines(day.data)
    for path, lines in csv_before.items():  # every live line kept as it was
        assert not set(lines) - set(csv_after[path]), path
    overviews = [p for p in csv_after if p.parent.parent.name == "overview"]
    assert len(overviews) == 2
    assert all(len(csv_after[p]) == len(csv_before[p]) + len(HOLE) for p in overviews)

    rows = load_chain(OPEN.date(), "NIFTY", data_dir=str(day.data))
    repaired = rows.loc[rows["source"] == SOURCE]
    stamps = pd.DatetimeIndex(repaired["timestamp"]).tz_convert(IST)
    assert sorted(set(stamps.to_pydatetime())) == HOLE
    for column in ("bid", "ask", "bid_qty", "ask_qty", "average_price"):
        assert repaired[column].isna().all(), column
    minute = HOLE[7]
    at = repaired.loc[stamps == minute]
    keys = [f"NFO:{s}" for s in at["tradingsymbol"]]
    quotes = day.market.quote([*keys, SPECS["NIFTY"].spot_key], minute)
    assert at["last_price"].tolist() == [quotes[k]["last_price"] for k in keys]
    assert at["oi"].tolist() == [quotes[k]["oi"] for k in keys]
    assert at["volume"].tolist() == [quotes[k]["volume"] for k in keys]  # candle volumes summed from 09:15
    assert (at["index_price"] == quotes[SPECS["NIFTY"].spot_key]["last_price"]).all()
    intrinsic = np.where(at["side"] == "CE", at["index_price"] - at["strike"], at["strike"] - at["index_price"])
    above = at["last_price"].to_numpy() > np.maximum(intrinsic, 0) + 1.0
    assert above.sum() >= 4 and np.isfinite(at["iv"].to_numpy()[above]).all()
    assert np.isfinite(at["delta"].to_numpy()[above]).all()
    over = load_overview(OPEN.date(), "NIFTY", data_dir=str(day.data))
    assert (over.loc[over["source"] == SOURCE, "timestamp"].dt.tz_convert(IST).dt.to_pydatetime().tolist() == HOLE)

    again = day.repair()
    assert again.indices["NIFTY"].repaired == [] and again.indices["NIFTY"].present == 30


def test_historical_calls_keep_to_three_a_second(day: Day) -> None:
    report = day.repair(rate=0, indices=["NIFTY"])
    calls = [(t, p) for t, _, p in day.server.requests if p.startswith(HISTORICAL)]
    assert len(calls) == report.indices["NIFTY"].calls >= 4
    assert all("oi=1" in p and "continuous=0" in p and "/minute?" in p for _, p in calls)
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(calls)]
    assert min(gaps) >= 1 / 3 - 0.02
    assert sorted(report.indices["NIFTY"].repaired) == HOLE


def test_not_subscribed_is_no_repair_not_a_failure(day: Day) -> None:
    day.server.fail_next(HISTORICAL, "permission")
    report = day.repair(indices=["NIFTY"])
    assert report.not_subscribed and report.stopped is None
    assert report.indices["NIFTY"].missing == dict.fromkeys(HOLE, NOT_SUBSCRIBED)
    assert day.server.count(HISTORICAL) == 1
    assert len(load_overview(OPEN.date(), "NIFTY", data_dir=str(day.data))) == len(LIVE)


def test_429_is_retried_and_a_token_error_stops(day: Day) -> None:
    day.server.fail_next(HISTORICAL, "429", times=2)  # max_retries 1: the index's candles fail twice
    lost = day.repair(indices=["NIFTY"]).indices["NIFTY"]
    assert lost.repaired == [] and set(lost.missing) == set(HOLE)
    assert all(r.startswith("index candles unavailable:") and "Too many requests" in r for r in lost.missing.values())
    day.server.fail_next(HISTORICAL, "429")
    first = day.repair(indices=["NIFTY"])
    assert sorted(first.indices["NIFTY"].repaired) == HOLE
    day.server.fail_next(HISTORICAL, "token")
    second = day.repair(indices=["SENSEX"])
    assert second.stopped is not None and "token" in second.stopped.lower()
    assert set(second.indices["SENSEX"].missing) == set(HOLE) and second.indices["SENSEX"].repaired == []


def test_minutes_without_an_index_candle_stay_gaps(day: Day) -> None:
    day.server.omit_candles(SPECS["NIFTY"].spot_token, HOLE[:3])
    report = day.repair(indices=["NIFTY"])
    result = report.indices["NIFTY"]
    assert result.missing == dict.fromkeys(HOLE[:3], "no index candle")
    assert sorted(result.repaired) == HOLE[3:]
    stored = load_overview(OPEN.date(), "NIFTY", data_dir=str(day.data))
    assert len(stored) == len(LIVE) + len(HOLE) - 3
    assert not math.isnan(float(stored["index_price"].iloc[-1]))


def test_contracts_no_longer_listed_stay_gaps(day: Day) -> None:
    later = datetime(2026, 11, 25, 10, 0, tzinfo=IST)  # the day after NIFTY's weekly expiry of 2026-11-24
    day.clock["now"] = later
    source = day.source()
    report = repair_day(day.collector.setup, source, OPEN.date(), ["NIFTY"], now=later)
    result = report.indices["NIFTY"]
    assert result.expected == len(day.collector.setup.calendar.session_minutes(OPEN.date()))
    assert result.repaired == [] and len(result.missing) == result.expected - len(LIVE)
    assert set(result.missing.values()) == {"contracts not listed any more"}
    assert day.server.count(HISTORICAL) == 0
