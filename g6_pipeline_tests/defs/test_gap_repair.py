"""Gap repair after an outage: the sensor's decisions (build_sensor_context on a real instance) and the run it
launches, which refills the gap from the loopback Kite server's historical candles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.collection.run_tags import REPAIR_DAY_TAG
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_overview
from g6_pipeline.defs.history import gap_repair
from g6_pipeline.defs.history.gap_repair import gap_repair_job, gap_repair_sensor
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.history import gaps as gaps_module
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.config import make_config
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import kite_server

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)  # a Monday
LIVE = [OPEN + timedelta(minutes=k) for k in (0, 1, 2, 6, 7)]
"""09:15-09:17 and 09:21-09:22 collected; 09:18-09:20 lost to an outage."""
HOLE = ["0918", "0919", "0920"]
NOW = OPEN + timedelta(minutes=8, seconds=10)
ALL = ["BANKNIFTY", "FINNIFTY", "NIFTY", "SENSEX"]


def collect(config: Path, minutes: list[datetime]) -> None:
    collector = Collector.from_settings(load_settings(config, environ={}))
    collector.publishers = []
    for minute in minutes:
        run_cycle(collector, minute + timedelta(seconds=5))


def kite_config_on(tmp_path: Path, data: Path) -> Path:
    """A kite configuration (no server needed: the sensor only lists the stored minute slices) on `data`."""
    folder = make_config(tmp_path / "kite_config", data, provider="kite",
                         kite={"api_key": "k", "token_file": str(tmp_path / "token")})
    return folder


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(synthetic config, kite config) on one data directory holding LIVE of all four indices."""
    data = tmp_path / "data"
    synthetic = make_config(tmp_path / "config", data)
    collect(synthetic, LIVE)
    yield synthetic, kite_config_on(tmp_path, data)


def evaluate(config: Path, now: datetime, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance,
             cursor: str | None = None) -> SensorExecutionData:
    monkeypatch.setattr(gap_repair, "now_ist", lambda: now)
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"g6": G6Resource(config_dir=str(config))})
    return gap_repair_sensor.evaluate_tick(context)


def test_minutes_collected_again_after_an_outage_request_one_repair(
    outage: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    synthetic, kite = outage
    with dg.instance_for_test() as instance:
        first = evaluate(kite, NOW, monkeypatch, instance)
        (request,) = first.run_requests or []
        assert request.tags[REPAIR_DAY_TAG] == "2026-11-23"
        assert request.run_config["ops"]["repair_gaps"]["config"] == {"day": "2026-11-23", "indices": ALL}
        assert json.loads(first.cursor or "") == {"day": "2026-11-23", "requested": dict.fromkeys(ALL, HOLE)}

        again = evaluate(kite, NOW + timedelta(minutes=1), monkeypatch, instance)  # the same gaps, no cursor
        assert [r.run_key for r in again.run_requests or []] == [request.run_key]
        held = evaluate(kite, NOW + timedelta(minutes=1), monkeypatch, instance, cursor=first.cursor)
        assert not held.run_requests
        assert held.skip_message == "no new gap today (12 missing minutes already handed to a repair)"

        collect(synthetic, [OPEN + timedelta(minutes=9)])  # 09:23 lost too, 09:24 collected
        second = evaluate(kite, NOW + timedelta(minutes=2), monkeypatch, instance, cursor=first.cursor)
        (new,) = second.run_requests or []
        assert new.run_key != request.run_key
        assert json.loads(second.cursor or "")["requested"] == {index: [*HOLE, "0923"] for index in ALL}


def test_no_request_while_the_outage_goes_on_or_before_any_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    collect(make_config(tmp_path / "config", data), LIVE[:3])  # 09:15-09:17, nothing since
    kite = kite_config_on(tmp_path, data)
    with dg.instance_for_test() as instance:
        going_on = evaluate(kite, NOW, monkeypatch, instance)
        assert not going_on.run_requests
        assert going_on.skip_message == "no gap today before the latest collected minute"


@pytest.mark.parametrize(
    ("provider", "now", "expected"),
    [
        ("synthetic", NOW, "gap repair reads Kite's historical candles; the provider is synthetic"),
        ("kite", datetime(2026, 11, 22, 11, 0, tzinfo=IST), "Sun 2026-11-22 is not a trading day"),
    ],
)
def test_other_providers_and_closed_days_skip(
    outage: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, provider: str, now: datetime, expected: str
) -> None:
    synthetic, kite = outage
    with dg.instance_for_test() as instance:
        result = evaluate(synthetic if provider == "synthetic" else kite, now, monkeypatch, instance)
    assert not result.run_requests and result.skip_message == expected


@pytest.mark.slow
def test_the_requested_run_refills_the_gap_from_kite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": OPEN}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server, dg.instance_for_test() as instance:
        config = write_kite_config(tmp_path, server.url, strikes=1)
        indices = config / "indices_config.json"  # NIFTY only: each contract costs a historical call at 3/s
        indices.write_text(json.dumps({"NIFTY": json.loads(indices.read_text())["NIFTY"]}))
        collector = Collector.from_settings(load_settings(config, environ={}))
        collector.publishers = []
        for minute in LIVE:
            clock["now"] = minute + timedelta(seconds=5)
            run_cycle(collector, clock["now"])
        clock["now"] = NOW
        monkeypatch.setattr(gaps_module, "now_ist", lambda: NOW)

        result = evaluate(config, NOW, monkeypatch, instance)
        (request,) = result.run_requests or []
        run = gap_repair_job.execute_in_process(
            run_config=request.run_config, instance=instance, tags=request.tags,
            resources={"g6": G6Resource(config_dir=str(config))},
        )
        assert run.success
        (materialized,) = [e for e in run.all_events if e.event_type_value == "STEP_OUTPUT"]
        metadata = materialized.event_specific_data.metadata  # type: ignore[union-attr]
        assert metadata["minutes_repaired"].value == 3
        assert metadata["minutes_still_missing"].value == 0
        overview = load_overview(OPEN.date(), "NIFTY", data_dir=str(tmp_path / "data"))
        assert overview["source"].tolist() == ["kite"] * 3 + ["kite_historical"] * 3 + ["kite"] * 2

        after = evaluate(config, NOW + timedelta(minutes=1), monkeypatch, instance, cursor=result.cursor)
        assert not after.run_requests
        assert after.skip_message == "no gap today before the latest collected minute"


def test_the_sensor_and_its_job_are_in_the_definitions() -> None:
    from g6_pipeline.definitions import defs

    repo = defs().get_repository_def()
    sensor = repo.get_sensor_def("gap_repair_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == "gap_repair_job"
    assert repo.get_job("gap_repair_job").tags["g6/run_kind"] == "daily"  # the daily slot, never the minute's
