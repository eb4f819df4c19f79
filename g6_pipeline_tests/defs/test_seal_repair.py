"""With Kite, sealing a day first refills its missing minutes from the historical candles (the loopback Kite
server and the real client), and the seal's metadata says how many were repaired and why the rest are not."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain
from g6_pipeline.history import gaps as gaps_module
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.daily import materialize_day
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, issue_token, write_kite_config
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server
from g6_pipeline_tests.fakes.servers import Server

pytestmark = pytest.mark.slow

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)
SESSION = [OPEN + timedelta(minutes=k) for k in range(375)]
LIVE = SESSION[:3] + SESSION[6:8]
"""09:15-09:17 and 09:21-09:22 collected live, then nothing (an outage to the close)."""
HOLE = SESSION[3:6]
NO_CANDLES = SESSION[8:]
"""The index has no candle after 09:22 (as if Kite's history stopped there), so only HOLE can be repaired."""


@dataclass
class KiteDay:
    config: Path
    data: Path
    server: KiteServerHandle
    clock: dict[str, datetime]


@pytest.fixture
def kite_day(tmp_path: Path) -> Iterator[KiteDay]:
    clock = {"now": OPEN}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        config = write_kite_config(tmp_path, server.url, strikes=1)
        collector = Collector.from_settings(load_settings(config, environ={}))
        collector.publishers = []
        for minute in LIVE:
            clock["now"] = minute + timedelta(seconds=5)
            run_cycle(collector, clock["now"])
        server.omit_candles(SPECS["NIFTY"].spot_token, NO_CANDLES)
        yield KiteDay(config, tmp_path / "data", server, clock)


def seal(day: KiteDay, at: datetime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Materialize NIFTY's day with the clock (and the server's) at `at`; the materialization's metadata."""
    day.clock["now"] = at
    monkeypatch.setattr(gaps_module, "now_ist", lambda: at)
    with dg.instance_for_test() as instance:
        result = materialize_day(instance, day.config, OPEN.date(), "NIFTY", raise_on_error=False)
    event, _ = result.get_asset_materialization_events()
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "completeness"]
    kinds = ("minutes_live", "minutes_repaired", "minutes_missing")
    checked = {k: v.value for k, v in check.metadata.items() if k in kinds}
    metadata: dict[str, Any] = {k: v.value for k, v in event.materialization.metadata.items()}
    assert checked == {k: metadata[k] for k in kinds}  # the asset check counts as the seal reports
    return metadata


def sources_by_minute(data: Path) -> pd.Series:
    rows = load_chain(OPEN.date(), "NIFTY", data_dir=str(data))
    stamps = pd.DatetimeIndex(rows["timestamp"]).tz_convert(IST)
    return rows.assign(minute=stamps).groupby("minute")["source"].agg(lambda s: ",".join(sorted(set(s))))


def test_the_seal_repairs_what_the_candles_cover(
    kite_day: KiteDay, monkeypatch: pytest.MonkeyPatch, pushgateway: Server
) -> None:
    monkeypatch.setenv("G6_PUSHGATEWAY_URL", pushgateway.url)
    metadata = seal(kite_day, OPEN.replace(hour=15, minute=45), monkeypatch)
    assert metadata["minutes_repaired_at_seal"] == 3
    assert metadata["repair"] == (
        "3 minutes repaired from Kite's historical candles; still missing 09:23-15:29 (367): no index candle"
    )
    assert metadata["minutes_collected"] == 8
    assert (metadata["minutes_live"], metadata["minutes_repaired"], metadata["minutes_missing"]) == (5, 3, 367)
    by_minute = sources_by_minute(kite_day.data)
    assert by_minute.to_dict() == {**dict.fromkeys(LIVE, "kite"), **dict.fromkeys(HOLE, "kite_historical")}
    sealed = kite_day.data / "parquet" / "options" / "date=2026-11-23" / "NIFTY"
    assert [p.name for p in sealed.iterdir()] == ["day.parquet"]

    slots = "g6_day_minute_slots"
    with urllib.request.urlopen(pushgateway.url + "/metrics", timeout=5) as response:
        pushed = {(s.name, s.labels.get("kind", "")): s.value
                  for family in text_string_to_metric_families(response.read().decode())
                  for s in family.samples if s.name.startswith(slots) and s.labels.get("index") == "NIFTY"}
    assert pushed == {(slots, "live"): 5, (slots, "repaired"): 3, (slots, "missing"): 367,
                      (f"{slots}_day_timestamp_seconds", ""): OPEN.timestamp()}


def test_contracts_no_longer_listed_leave_the_gaps_with_the_reason(
    kite_day: KiteDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    metadata = seal(kite_day, datetime(2026, 12, 1, 16, 0, tzinfo=IST), monkeypatch)  # the weekly has expired
    assert metadata["minutes_repaired_at_seal"] == 0
    assert (metadata["minutes_live"], metadata["minutes_repaired"], metadata["minutes_missing"]) == (5, 0, 370)
    assert metadata["repair"] == (
        "0 minutes repaired from Kite's historical candles; "
        "still missing 09:18-09:20, 09:23-15:29 (370): contracts not listed any more"
    )
    assert sources_by_minute(kite_day.data).to_dict() == dict.fromkeys(LIVE, "kite")
    assert not any(r[2].startswith("/instruments/historical/") for r in kite_day.server.requests)


def test_a_corrupt_slice_is_quarantined_named_and_its_minute_repaired(
    kite_day: KiteDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = kite_day.data / "parquet" / "options" / "date=2026-11-23" / "NIFTY" / "0916.parquet"
    whole = part.read_bytes()
    part.write_bytes(whole[: len(whole) // 2])  # cut by a crash: no footer
    metadata = seal(kite_day, OPEN.replace(hour=15, minute=45), monkeypatch)
    quarantine = kite_day.data / "parquet" / "_quarantine"
    moved = quarantine / "options" / "2026-11-23" / "NIFTY" / "0916.parquet"
    assert moved.read_bytes() == whole[: len(whole) // 2]  # kept as it was, for inspection
    assert (quarantine / "overview" / "2026-11-23" / "NIFTY" / "0916.parquet").exists()  # the minute moves whole
    (named,) = metadata["quarantined"]
    assert str(part) in named and "unreadable Parquet file" in named
    # 09:16 is a gap like 09:18-09:20 and is refilled from the candles with them
    assert metadata["minutes_repaired_at_seal"] == 4
    assert (metadata["minutes_live"], metadata["minutes_repaired"], metadata["minutes_missing"]) == (4, 4, 367)
    by_minute = sources_by_minute(kite_day.data)
    assert by_minute[SESSION[1]] == "kite_historical" and by_minute[SESSION[0]] == "kite"



def test_a_whole_session_with_a_corrupt_slice_and_a_hole_repaired_is_sealed_with_its_blocking_checks_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": OPEN}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        config = write_kite_config(tmp_path, server.url, strikes=1)
        issue_token(tmp_path / "kite_token", datetime.now(IST))  # valid whatever the hour (Kite's expire at 06:00)
        holidays = json.loads((config / "holidays.json").read_text())
        holidays["special_sessions"] = [{"date": "2026-11-23", "open": "09:15", "close": "09:25", "name": "short"}]
        (config / "holidays.json").write_text(json.dumps(holidays))  # a session of ten minutes, 09:15-09:24
        collector = Collector.from_settings(load_settings(config, environ={}))
        collector.publishers = []
        for minute in LIVE:
            clock["now"] = minute + timedelta(seconds=5)
            run_cycle(collector, clock["now"])
        part = tmp_path / "data" / "parquet" / "options" / "date=2026-11-23" / "NIFTY" / "0916.parquet"
        part.write_bytes(part.read_bytes()[:100])  # cut by a crash
        at = OPEN.replace(hour=9, minute=40)  # after the close
        clock["now"] = at
        monkeypatch.setattr(gaps_module, "now_ist", lambda: at)
        with dg.instance_for_test() as instance:
            result = materialize_day(instance, config, OPEN.date(), "NIFTY", raise_on_error=False)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert result.success, checks["completeness"].description
    assert checks["completeness"].passed and checks["no_duplicates"].passed
    counted = {k: v.value for k, v in checks["completeness"].metadata.items()}
    # live: 09:15, 09:17, 09:21, 09:22; repaired: 09:16 (quarantined), the hole 09:18-09:20 and 09:23-09:24
    assert (counted["minutes_live"], counted["minutes_repaired"], counted["minutes_missing"]) == (4, 6, 0)
    assert f"quarantined (unreadable, moved aside): {tmp_path / 'data'}" in str(checks["completeness"].description)
    by_minute = sources_by_minute(tmp_path / "data")
    assert by_minute[SESSION[1]] == "kite_historical" and by_minute[SESSION[0]] == "kite"
    assert len(by_minute) == 10
