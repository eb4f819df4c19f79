"""`g6 repair`: the summary it prints, its exit codes and one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.cli import repair_cmd
from g6_pipeline.cli.main import main
from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_overview
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)
NOW = OPEN + timedelta(minutes=8, seconds=20)
LIVE = [OPEN + timedelta(minutes=i) for i in (0, 1, 6, 7)]


@pytest.fixture
def kite_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, KiteServerHandle]]:
    """Four live minutes of 09:15-09:22 collected through the loopback Kite server; `g6` pointed at it."""
    clock = {"now": OPEN}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        config = write_kite_config(tmp_path, server.url, strikes=1)
        collector = Collector.from_settings(load_settings(config))
        collector.publishers = []
        for minute in LIVE:
            clock["now"] = minute + timedelta(seconds=5)
            run_cycle(collector, clock["now"])
        clock["now"] = NOW
        monkeypatch.setenv("G6_CONFIG_DIR", str(config))
        for var in ("G6_PROVIDER", "G6_DATA_DIR", "G6_KITE_ROOT_URL", "KITE_ACCESS_TOKEN", "KITE_API_KEY"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setattr(repair_cmd, "now_ist", lambda: NOW)
        yield tmp_path / "data", server


@pytest.mark.slow
def test_repair_prints_expected_present_repaired_missing(
    kite_day: tuple[Path, KiteServerHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    data, server = kite_day
    server.omit_candles(SPECS["NIFTY"].spot_token, [OPEN + timedelta(minutes=5)])  # 09:20: no index candle
    assert main(["repair", "--day", "2026-11-23", "--index", "NIFTY"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("NIFTY 2026-11-23: 8 minutes expected, 4 present, 3 repaired, 1 still missing (")
    assert out[1] == "  missing 09:20 (1): no index candle"
    assert len(load_overview("2026-11-23", "NIFTY", data_dir=str(data))) == 7


@pytest.mark.slow
def test_not_subscribed_exits_0_and_a_token_error_exits_1(
    kite_day: tuple[Path, KiteServerHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    _, server = kite_day
    server.fail_next("/instruments/historical/", "permission")
    assert main(["repair", "--day", "2026-11-23", "--index", "SENSEX"]) == 0
    assert "4 still missing" in capsys.readouterr().out
    server.fail_next("/instruments/historical/", "token")
    assert main(["repair", "--day", "2026-11-23", "--index", "SENSEX"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("g6 repair: stopped:") and "token" in err[0].lower()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--day", "23-11-2026"], "g6 repair: --day '23-11-2026' is not a date (YYYY-MM-DD)"),
        (["--day", "2026-11-23", "--index", "MIDCP"], "g6 repair: unknown or disabled index 'MIDCP'"),
        (["--day", "2026-11-22"], "g6 repair: 2026-11-22 is not a trading day"),
        (["--day", "2026-11-25"], "g6 repair: 2026-11-25 is in the future"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("G6_CONFIG_DIR", str(write_kite_config(tmp_path, "http://127.0.0.1:9")))
    for var in ("G6_PROVIDER", "G6_DATA_DIR", "G6_KITE_ROOT_URL", "KITE_ACCESS_TOKEN", "KITE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(repair_cmd, "now_ist", lambda: NOW)
    assert main(["repair", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)


def test_a_synthetic_setup_is_refused(g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["repair", "--day", "2026-11-23"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["g6 repair: repair reads Kite's historical candles; the configured provider is 'synthetic'"]
