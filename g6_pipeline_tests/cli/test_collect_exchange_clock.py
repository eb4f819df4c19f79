"""`g6 collect --once` against the loopback Kite server (the real kiteconnect client) when the exchange's clock
disagrees with the calendar: a provisional holiday stores nothing and says "exchange closed"; a frozen feed is
stored flagged stale, with no analytics from its prices, and the status says how long."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from g6_pipeline.cli import collect_cmd
from g6_pipeline.cli.main import main
from g6_pipeline.collection import cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.live.jsonfile import read_json_object
from g6_pipeline.live.status import status_path
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, issue_token, write_kite_config
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server

pytestmark = pytest.mark.slow

REPUBLIC_DAY = datetime(2027, 1, 26, 10, 0, 20, tzinfo=IST)
"""A Tuesday of 2027, which the repository's holiday file does not cover: a provisional session."""
LIVE = datetime(2026, 11, 23, 11, 0, 20, tzinfo=IST)
FROZEN = datetime(2026, 11, 23, 11, 3, 20, tzinfo=IST)
"""Three minutes after the feed froze at 11:00."""


@pytest.fixture
def kite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, KiteServerHandle, dict[str, datetime]]]:
    """(data dir, server, clock): the kite provider through the loopback server, `clock["now"]` the time of both."""
    clock = {"now": LIVE}
    monkeypatch.setattr(collect_cmd, "now_ist", lambda: clock["now"])
    monkeypatch.setattr(cycle, "now_ist", lambda: clock["now"])
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        monkeypatch.setenv("G6_CONFIG_DIR", str(write_kite_config(tmp_path, server.url)))
        for var in ("G6_PROVIDER", "G6_DATA_DIR", "G6_KITE_ROOT_URL", "KITE_ACCESS_TOKEN", "KITE_API_KEY"):
            monkeypatch.delenv(var, raising=False)
        yield tmp_path / "data", server, clock


def _status(data: Path) -> dict[str, object]:
    document = read_json_object(status_path(data)).document
    assert document is not None
    return document


def test_a_provisional_holiday_stores_nothing_and_says_exchange_closed(
    kite: tuple[Path, KiteServerHandle, dict[str, datetime]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, server, clock = kite
    clock["now"] = REPUBLIC_DAY
    issue_token(data.parent / "kite_token", REPUBLIC_DAY.replace(hour=8, minute=0))  # the day's morning login
    server.close_exchange(datetime(2027, 1, 25, 15, 29, tzinfo=IST))  # Kite answers with Monday's last quotes
    assert main(["collect", "--once"]) == 1
    captured = capsys.readouterr()
    assert "exchange closed: all " in captured.err and "2027-01-26 10:00 carry an earlier session's time" in captured.err
    assert "2027-01-26 is provisional" in captured.err and "g6 calendar import FILE" in captured.err
    assert "NIFTY      closed" in captured.out
    stored = [p for p in data.rglob("*") if p.suffix in (".parquet", ".csv") and "instruments" not in p.parts]
    assert stored == []  # no Parquet, no classic CSV: only the day's instrument dump was cached
    status = _status(data)
    assert str(status["exchange_closed"]).startswith("exchange closed: all ")
    assert status["calendar"] == {"covered_until": "2026-12-31", "provisional": True,
                                  "note": status["calendar"]["note"]}  # type: ignore[index]
    assert "g6 calendar import FILE" in str(status["calendar"]["note"])
    indices = status["indices"]
    assert {indices[n]["status"] for n in ("NIFTY", "SENSEX")} == {"closed"}  # type: ignore[index]
    kinds = {a["kind"] for a in status["alerts"]}  # type: ignore[attr-defined]
    assert {"exchange_closed", "calendar_provisional"} <= kinds
    assert not kinds & {"stale_index", "quotes_stale", "cycle_failed", "index_failed"}


def test_a_frozen_feed_is_stored_flagged_stale_and_the_status_says_how_long(
    kite: tuple[Path, KiteServerHandle, dict[str, datetime]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, server, clock = kite
    assert main(["collect", "--once"]) == 0  # 11:00, live
    server.freeze(LIVE.replace(second=0))
    clock["now"] = FROZEN
    assert main(["collect", "--once"]) == 1
    assert "NIFTY      stale" in capsys.readouterr().out
    chain = load_chain(LIVE.date(), "NIFTY", data_dir=str(data))
    live, frozen = (chain.loc[chain["timestamp"] == pd.Timestamp(t.replace(second=0))] for t in (LIVE, FROZEN))
    assert len(live) and len(frozen)
    assert not live["stale"].any() and "stale" not in set(live["iv_status"]), live.loc[live["iv"].isna(), ["tradingsymbol", "last_price", "iv_status"]].to_string()
    assert live.loc[live["iv_status"] == "ok", "iv"].notna().all() and (live["iv_status"] == "ok").mean() > 0.9
    assert frozen["stale"].all() and (frozen["exchange_timestamp"] == pd.Timestamp(LIVE.replace(second=0))).all()
    both = frozen.merge(live, on="tradingsymbol", suffixes=("", "_live"))
    assert len(both) == len(frozen)  # the exchange's last prices, kept as quoted
    assert both["last_price"].tolist() == both["last_price_live"].tolist()
    assert frozen["iv"].isna().all() and (frozen["iv_status"] == "stale").all() and frozen["delta"].isna().all()
    overview = load_overview(LIVE.date(), "NIFTY", data_dir=str(data)).set_index("timestamp")
    row = overview.loc[pd.Timestamp(FROZEN.replace(second=0))]
    assert row["stale"] and row["quote_age_seconds"] == 200.0 and row["legs_stale"] == len(frozen)
    assert pd.isna(row["atm_iv_this_week"]) and pd.isna(row["straddle_this_week"])
    fresh = overview.loc[pd.Timestamp(LIVE.replace(second=0))]
    assert not fresh["stale"] and fresh["quote_age_seconds"] == 20.0 and fresh["atm_iv_this_week"] > 0
    nifty = _status(data)["indices"]["NIFTY"]
    assert nifty["status"] == "stale" and nifty["stale_seconds"] == 200.0
    assert "quotes have not advanced for 3 min 20 s (exchange time 11:00:00)" in nifty["error"]
    stale_alerts = [a for a in _status(data)["alerts"] if a["kind"] == "quotes_stale"]
    assert {(a["severity"], a["index"]) for a in stale_alerts} == {("critical", "NIFTY"), ("critical", "SENSEX")}
