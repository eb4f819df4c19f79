"""The minute sensor's decisions, evaluated as the daemon evaluates a tick (`evaluate_tick`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.collection import sensor as sensor_module
from g6_pipeline.defs.collection.sensor import minute_sensor
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.providers.kite_token import TokenStore

REPO_CONFIG = Path(__file__).parents[2] / "config"


@pytest.fixture
def kite_config(tmp_path: Path) -> Path:
    """A configuration folder for the kite provider with its own token store and the repository's holidays."""
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "holidays.json").write_text((REPO_CONFIG / "holidays.json").read_text())
    (folder / "platform_config.json").write_text(
        json.dumps({"provider": "kite", "data_dir": str(tmp_path / "data"),
                    "kite": {"api_key": "k", "token_file": str(tmp_path / "token")}})
    )
    return folder


def evaluate(
    config_dir: Path, now: datetime, monkeypatch: pytest.MonkeyPatch, cursor: str | None = None
) -> SensorExecutionData:
    monkeypatch.setattr(sensor_module, "now_ist", lambda: now)
    context = dg.build_sensor_context(cursor=cursor, resources={"g6": G6Resource(config_dir=str(config_dir))})
    return minute_sensor.evaluate_tick(context)


def login(config_dir: Path, issued: datetime) -> None:
    settings_token = json.loads((config_dir / "platform_config.json").read_text())["kite"]["token_file"]
    TokenStore(Path(settings_token)).save("access-token", "k", issued)


def test_open_market_requests_each_minute_once_launched_ahead(kite_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 11, 23, 10, 4, 47, tzinfo=IST)  # Monday, a trading day: 13 s before 10:05
    login(kite_config, now - timedelta(hours=2))
    result = evaluate(kite_config, now, monkeypatch)
    (request,) = result.run_requests or []
    assert request.run_key == "2026-11-23T10:05:00+05:30"  # the next minute, its run started before it begins
    assert request.tags["g6/minute"] == request.run_key
    assert result.cursor == request.run_key
    for later in (5, 15, 30):  # the rest of 10:04 and 10:05 until its own launch time
        again = evaluate(kite_config, now + timedelta(seconds=later), monkeypatch, cursor=result.cursor)
        assert not again.run_requests, later
    nxt = evaluate(kite_config, now + timedelta(seconds=60), monkeypatch, cursor=result.cursor)
    assert [r.run_key for r in nxt.run_requests or []] == ["2026-11-23T10:06:00+05:30"]


def test_a_minute_a_run_cannot_reach_in_time_is_not_requested(
    kite_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon's first tick may come at any second: early in a minute it requests that minute, late in it
    (past the grace less the time a run takes to start) it waits for the next one's launch."""
    login(kite_config, datetime(2026, 11, 23, 8, 0, tzinfo=IST))
    early = evaluate(kite_config, datetime(2026, 11, 23, 10, 4, 12, tzinfo=IST), monkeypatch)
    assert [r.run_key for r in early.run_requests or []] == ["2026-11-23T10:04:00+05:30"]
    late = evaluate(kite_config, datetime(2026, 11, 23, 10, 4, 33, tzinfo=IST), monkeypatch)
    assert not late.run_requests
    assert "minute 10:04 not requested" in (late.skip_message or "")
    assert "minute 10:05 is launched ahead from second 35" in (late.skip_message or "")
    first_tick = evaluate(kite_config, datetime(2026, 11, 23, 10, 4, 47, tzinfo=IST), monkeypatch)
    assert [r.run_key for r in first_tick.run_requests or []] == ["2026-11-23T10:05:00+05:30"]


def test_the_session_is_launched_ahead_of_its_open_and_not_past_its_close(
    kite_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(kite_config, datetime(2026, 11, 23, 8, 0, tzinfo=IST))
    opening = evaluate(kite_config, datetime(2026, 11, 23, 9, 14, 50, tzinfo=IST), monkeypatch)
    assert [r.run_key for r in opening.run_requests or []] == ["2026-11-23T09:15:00+05:30"]
    closing = evaluate(kite_config, datetime(2026, 11, 23, 15, 29, 50, tzinfo=IST), monkeypatch,
                       cursor="2026-11-23T15:29:00+05:30")
    assert not closing.run_requests and "market closed at 15:30" in (closing.skip_message or "")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 23, 15, 30, 0, tzinfo=IST), "market closed at 15:30"),
        (datetime(2026, 11, 23, 9, 14, 10, tzinfo=IST), "market closed at 09:14"),
        (datetime(2026, 11, 24, 11, 0, tzinfo=IST), "market holiday Tue 2026-11-24"),
        (datetime(2026, 11, 22, 11, 0, tzinfo=IST), "weekend Sun 2026-11-22"),
    ],
)
def test_closed_market_skips_with_the_reason(
    kite_config: Path, monkeypatch: pytest.MonkeyPatch, now: datetime, expected: str
) -> None:
    login(kite_config, now - timedelta(hours=1))
    result = evaluate(kite_config, now, monkeypatch)
    assert not result.run_requests
    assert expected in (result.skip_message or "")
    assert "next" in (result.skip_message or "")


def test_expired_or_missing_token_skips(kite_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=IST)
    missing = evaluate(kite_config, now, monkeypatch)
    assert not missing.run_requests and "g6 token login" in (missing.skip_message or "")
    login(kite_config, datetime(2026, 11, 20, 9, 0, tzinfo=IST))  # Friday's token died on Saturday 06:00
    expired = evaluate(kite_config, now, monkeypatch)
    assert not expired.run_requests and "expired" in (expired.skip_message or "")


def test_synthetic_provider_collects_at_night(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "holidays.json").write_text((REPO_CONFIG / "holidays.json").read_text())
    result = evaluate(folder, datetime(2026, 11, 22, 23, 59, 50, tzinfo=IST), monkeypatch)
    assert [r.run_key for r in result.run_requests or []] == ["2026-11-23T00:00:00+05:30"]
