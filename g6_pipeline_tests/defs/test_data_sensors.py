"""The sensors that watch the data, evaluated as the daemon evaluates a tick: the freshness of the live minute
data during a session, and the stored days registered as partitions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.collection import minutes as minutes_module
from g6_pipeline.defs.collection.minutes import freshness_sensor
from g6_pipeline.defs.partitions import DAYS_NAME, INDICES_NAME, stored_days_sensor
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline_tests.fakes.chains import make_chain

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)  # Monday
INDICES = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")


def store(data: Path, moment: datetime, indices: tuple[str, ...] = INDICES) -> None:
    sink = ParquetSink(DataLocation(data))
    for index in indices:
        assert not sink.write([make_chain(index, moment)]).error


def freshness_at(config: Path, now: datetime, monkeypatch: pytest.MonkeyPatch) -> dg.AssetCheckEvaluation | str:
    """The check evaluation the sensor reports at `now`, or its skip message."""
    monkeypatch.setattr(minutes_module, "now_ist", lambda: now)
    tick = freshness_sensor.evaluate_tick(
        dg.build_sensor_context(resources={"g6": G6Resource(config_dir=str(config))}))
    assert not tick.run_requests, "the freshness sensor launches no run"
    if not tick.asset_events:
        return tick.skip_message or ""
    (evaluation,) = tick.asset_events
    assert isinstance(evaluation, dg.AssetCheckEvaluation)
    return evaluation


def test_fresh_minutes_pass_and_a_stopped_feed_fails_by_name(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, data = g6_env
    for k in range(10):
        store(data, OPEN + timedelta(minutes=k))
    store(data, OPEN + timedelta(minutes=10), ("NIFTY", "BANKNIFTY", "SENSEX"))  # FINNIFTY stops at 09:24
    fresh = freshness_at(config, OPEN + timedelta(minutes=11, seconds=20), monkeypatch)
    assert isinstance(fresh, dg.AssetCheckEvaluation) and fresh.passed
    assert fresh.check_name == "fresh_during_session" and fresh.asset_key == dg.AssetKey("option_chain_minutes")
    assert fresh.metadata["age_seconds_NIFTY"].value == 20.0  # the 09:25 minute ended at 09:26:00
    stale = freshness_at(config, OPEN + timedelta(minutes=13, seconds=30), monkeypatch)
    assert isinstance(stale, dg.AssetCheckEvaluation) and not stale.passed
    assert stale.description == "minute data stale (limit 180 s): FINNIFTY 210 s old"
    assert stale.severity == dg.AssetCheckSeverity.WARN


def test_no_minute_today_is_stale_once_the_session_is_under_way(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = g6_env
    early = freshness_at(config, OPEN + timedelta(minutes=2), monkeypatch)
    assert isinstance(early, str) and "nothing to be fresh" in early  # within the first 180 s
    late = freshness_at(config, OPEN + timedelta(minutes=30), monkeypatch)
    assert isinstance(late, dg.AssetCheckEvaluation) and not late.passed
    assert "NIFTY nothing today" in (late.description or "")


@pytest.mark.parametrize(
    ("now", "why"),
    [(datetime(2026, 11, 23, 15, 31, tzinfo=IST), "no session at Mon 2026-11-23 15:31"),
     (datetime(2026, 11, 24, 11, 0, tzinfo=IST), "no session at Tue 2026-11-24 11:00"),  # a holiday
     (datetime(2026, 11, 22, 11, 0, tzinfo=IST), "no session at Sun 2026-11-22 11:00")],
)
def test_outside_a_session_nothing_is_reported(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, now: datetime, why: str
) -> None:
    skipped = freshness_at(g6_env[0], now, monkeypatch)
    assert isinstance(skipped, str) and skipped.startswith(why)


def test_stored_trading_days_become_partitions(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    store(data, datetime(2026, 11, 20, 10, 0, tzinfo=IST), ("NIFTY", "SENSEX"))
    store(data, datetime(2026, 11, 23, 10, 0, tzinfo=IST), ("NIFTY",))
    store(data, datetime(2026, 11, 22, 10, 0, tzinfo=IST), ("BANKNIFTY",))  # a Sunday: no partition
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"g6": G6Resource(config_dir=str(config))})
        tick = stored_days_sensor.evaluate_tick(context)
        requests = list(tick.dynamic_partitions_requests or [])
        added = {r.partitions_def_name: sorted(r.partition_keys) for r in requests}
        assert added == {DAYS_NAME: ["2026-11-20", "2026-11-23"], INDICES_NAME: ["NIFTY", "SENSEX"]}
        for request in requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        again = stored_days_sensor.evaluate_tick(context)
        assert not again.dynamic_partitions_requests
        assert again.skip_message == "all 2 stored trading days are partitions"
    assert date(2026, 11, 22).weekday() == 6
