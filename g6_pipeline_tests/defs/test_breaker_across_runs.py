"""A Kite outage opens the circuit across minute runs: each sensor-launched run is a process of its own."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.defs.collection import sensor as sensor_module
from g6_pipeline.defs.collection.job import collection_job
from g6_pipeline.defs.collection.sensor import minute_request, minute_sensor
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server
from g6_pipeline_tests.fakes.servers import Server

FIRST = datetime(2026, 11, 23, 11, 30, 5, tzinfo=IST)  # Monday, in session
FAILURES_TO_OPEN = 3
RESET_SECONDS = 600.0


@pytest.fixture
def outage(tmp_path: Path, pushgateway: Server) -> Iterator[tuple[Path, KiteServerHandle]]:
    """A kite configuration through the loopback server (metrics pushed to a real Pushgateway)."""
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    # the server's clock is the sensor's (each `tick` sets it): quotes carry the minute's exchange time, not a
    # frozen feed's
    with kite_server(market, clock=lambda: sensor_module.now_ist()) as server:
        config = write_kite_config(tmp_path, server.url)
        platform = json.loads((config / "platform_config.json").read_text())
        platform["kite"].update(circuit_breaker_failures=FAILURES_TO_OPEN, circuit_breaker_reset_seconds=RESET_SECONDS)
        platform["metrics"] = {"pushgateway_url": pushgateway.url}
        (config / "platform_config.json").write_text(json.dumps(platform))
        yield config, server


def tick(
    config: Path, now: datetime, cursor: str | None, monkeypatch: pytest.MonkeyPatch
) -> dg.SensorResult | dg.SkipReason:
    """One evaluation of the minute sensor at `now`, as the daemon would make it."""
    monkeypatch.setattr(sensor_module, "now_ist", lambda: now)
    context = dg.build_sensor_context(cursor=cursor, resources=shared_resources(G6Resource(config_dir=str(config))))
    result = minute_sensor(context)
    assert isinstance(result, (dg.SensorResult, dg.SkipReason))
    return result


def launch(config: Path, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """Run what the sensor requested, with a resource (and so a provider) of its own, as a new run process has."""
    with dg.instance_for_test() as instance:
        return collection_job.execute_in_process(
            run_config=request.run_config, tags=request.tags, instance=instance, raise_on_error=False,
            resources=shared_resources(G6Resource(config_dir=str(config))),
        )


def circuit_in_status(data: Path) -> str:
    return str(json.loads((data / "runtime_status.json").read_text())["provider"]["circuit"])


def pushed_circuit(pushgateway: Server) -> set[str]:
    """The states `g6_provider_circuit_state` reports as 1 on the Pushgateway."""
    with urllib.request.urlopen(f"{pushgateway.url}/metrics", timeout=5) as response:
        lines = response.read().decode().splitlines()
    found = set()
    for line in lines:
        if line.startswith("g6_provider_circuit_state{") and line.rsplit(" ", 1)[1] in ("1", "1e+00"):
            found.add(line.split('state="', 1)[1].split('"', 1)[0])
    return found


def age_state(data: Path, seconds: float) -> None:
    """Move the kept breaker's opening `seconds` into the past, as if that much time had gone by."""
    path = Path(DataLocation(data).provider_state_file().path)
    state = json.loads(path.read_text())
    state["breaker"]["opened_at"] -= seconds
    path.write_text(json.dumps(state))


@pytest.mark.slow
def test_outage_opens_the_circuit_across_runs_and_the_sensor_waits(
    outage: tuple[Path, KiteServerHandle], pushgateway: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, server = outage
    data = config.parent / "data"
    server.fail_next("/quote", "502html", times=1000)

    # minute 1: the spot quote fails twice (one retry), two failures: still closed
    first = tick(config, FIRST, None, monkeypatch)
    assert isinstance(first, dg.SensorResult) and first.run_requests
    assert not launch(config, first.run_requests[0]).success
    assert server.count("/quote") == 2
    assert circuit_in_status(data) == "closed"

    # minute 2: a new run, yet it remembers the two failures: the first quote call opens the circuit
    second = tick(config, FIRST + timedelta(minutes=1), first.cursor, monkeypatch)
    assert isinstance(second, dg.SensorResult) and second.run_requests
    assert not launch(config, second.run_requests[0]).success
    assert server.count("/quote") == 3
    assert circuit_in_status(data) == "open"
    assert pushed_circuit(pushgateway) == {"open"}

    # minute 3: the sensor reads the same state and does not request the minute
    third = tick(config, FIRST + timedelta(minutes=2), second.cursor, monkeypatch)
    assert isinstance(third, dg.SkipReason)
    assert "11:32 not requested" in (third.skip_message or "")
    assert "circuit open after 3 consecutive failures" in (third.skip_message or "")
    # a run launched for it anyway (by hand) makes no quote call and says "open"
    assert not launch(config, minute_request(FIRST.replace(minute=32, second=0))).success
    assert server.count("/quote") == 3
    assert circuit_in_status(data) == "open"
    assert pushed_circuit(pushgateway) == {"open"}

    # once the reset time has passed the sensor requests again, and one trial call goes out
    age_state(data, RESET_SECONDS)
    fourth = tick(config, FIRST + timedelta(minutes=3), second.cursor, monkeypatch)
    assert isinstance(fourth, dg.SensorResult) and fourth.run_requests
    assert fourth.run_requests[0].run_key == "2026-11-23T11:33:00+05:30"
    assert not launch(config, fourth.run_requests[0]).success
    assert server.count("/quote") == 4
    assert circuit_in_status(data) == "open"  # the trial failed: open again, for a full reset time
    assert isinstance(tick(config, FIRST + timedelta(minutes=4), fourth.cursor, monkeypatch), dg.SkipReason)

    # Kite answers again: after the next reset the trial succeeds and the circuit closes
    server.faults.clear()
    age_state(data, RESET_SECONDS)
    fifth = tick(config, FIRST + timedelta(minutes=5), fourth.cursor, monkeypatch)
    assert isinstance(fifth, dg.SensorResult) and fifth.run_requests
    assert launch(config, fifth.run_requests[0]).success
    assert circuit_in_status(data) == "closed"
    assert pushed_circuit(pushgateway) == {"closed"}


@pytest.mark.parametrize(("opened_ago", "requested"), [(10.0, False), (RESET_SECONDS + 1, True), (None, True)])
def test_the_sensor_reads_the_kept_circuit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened_ago: float | None, requested: bool
) -> None:
    config = write_kite_config(tmp_path, "http://127.0.0.1:9")
    platform = json.loads((config / "platform_config.json").read_text())
    platform["kite"].update(circuit_breaker_failures=FAILURES_TO_OPEN, circuit_breaker_reset_seconds=RESET_SECONDS)
    (config / "platform_config.json").write_text(json.dumps(platform))
    opened = None if opened_ago is None else time.time() - opened_ago
    state = {"schema": "g6.provider_state.v1", "provider": "kite", "centres": [],
             "breaker": {"failures": FAILURES_TO_OPEN if opened else 2, "opened_at": opened}}
    path = Path(DataLocation(tmp_path / "data").provider_state_file().path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(state))
    result = tick(config, FIRST, None, monkeypatch)
    if requested:
        assert isinstance(result, dg.SensorResult) and result.run_requests
    else:
        assert isinstance(result, dg.SkipReason)
        assert re.search(r"provider circuit open after 3 consecutive failures; next try in 5\d\d s", result.skip_message or "")
