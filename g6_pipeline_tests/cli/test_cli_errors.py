"""One line and a documented exit code for every CLI error; the calendar's end (provisional days after it);
`g6` from any folder."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from g6_pipeline.cli import collect_cmd, config_cmd
from g6_pipeline.cli.main import build_parser, main
from g6_pipeline.collection import cycle, timing
from g6_pipeline.collection.gate import decide_minute
from g6_pipeline.core.calendar import CalendarError, MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.providers.kite_token import TokenStoreError
from g6_pipeline.settings import ConfigError, load_settings
from g6_pipeline_tests.fakes.config import make_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
LAST_CLOSE = datetime(2026, 12, 31, 15, 30, 5, tzinfo=IST)
"""The close of the last day the holiday file covers: the next open is in the uncovered 2027."""
PROVISIONAL = datetime(2027, 1, 4, 10, 0, 20, tzinfo=IST)
"""A Monday of 2027, which the repository's holiday file does not cover."""
OPEN = datetime(2026, 11, 23, 11, 30, 20, tzinfo=IST)


@pytest.fixture(autouse=True)
def _no_stray_g6_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warnings these tests count come from the variables they set, not from the caller's shell."""
    for name in [n for n in os.environ if n.startswith("G6_")]:
        monkeypatch.delenv(name)


def _clock(monkeypatch: pytest.MonkeyPatch, module: object, now: datetime) -> None:
    monkeypatch.setattr(module, "now_ist", lambda: now)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_config_check_warns_when_the_holiday_file_ends_within_30_days(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clock(monkeypatch, config_cmd, datetime(2026, 12, 1, 9, 0, tzinfo=IST))
    assert main(["config", "check"]) == 0
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert "warning" in line and "holidays.json" in line and "2026-12-31 (30 days left)" in line
    assert "calendar until 2026-12-31" in captured.out


def test_config_check_is_quiet_with_more_than_30_days(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clock(monkeypatch, config_cmd, datetime(2026, 11, 30, 9, 0, tzinfo=IST))
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().err == ""


def test_config_check_warns_with_the_fix_on_a_provisional_day(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clock(monkeypatch, config_cmd, datetime(2027, 1, 4, 9, 0, tzinfo=IST))
    assert main(["config", "check"]) == 0  # was exit 2: collection stopped on 1 January
    line = _one_line(capsys.readouterr().err)
    assert "warning: 2027-01-04 is provisional" in line and "holidays.json lists no holidays for 2027" in line
    assert "`g6 calendar import FILE`" in line


def test_config_check_names_unknown_g6_variables(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clock(monkeypatch, config_cmd, datetime(2026, 6, 1, 9, 0, tzinfo=IST))
    monkeypatch.setenv("G6_INFLUX_ENABLED", "1")
    assert main(["config", "check"]) == 0
    line = _one_line(capsys.readouterr().err)
    assert "G6_INFLUX_ENABLED" in line and "influx.url" in line


def test_the_gate_collects_provisional_weekdays_past_the_end_of_the_holiday_file(tmp_path: Path) -> None:
    settings = load_settings(make_config(tmp_path / "config", tmp_path / "data", provider="kite"), environ={}).settings
    calendar = MarketCalendar.load(REPO_CONFIG)
    closed = decide_minute(LAST_CLOSE, settings, calendar)
    assert not closed.collect and closed.cause == "market_closed" and "next open Fri 2027-01-01 09:15" in closed.reason
    settings.kite.access_token = SecretStr("token")  # the gate checks the token last
    decision = decide_minute(PROVISIONAL, settings, calendar)
    assert decision.collect and "2027-01-04 is provisional" in decision.reason
    assert "g6 calendar import FILE" in decision.reason
    weekend = decide_minute(datetime(2027, 1, 9, 10, 0, tzinfo=IST), settings, calendar)
    assert not weekend.collect and weekend.reason.startswith("weekend Sat 2027-01-09")


def test_collect_on_a_provisional_day_collects_and_warns_with_the_fix(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clock(monkeypatch, collect_cmd, PROVISIONAL)
    monkeypatch.setattr(cycle, "now_ist", lambda: PROVISIONAL)
    assert main(["collect", "--once"]) == 0  # was exit 2 with "year 2027 is not covered"
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert "warning: 2027-01-04 is provisional" in line and "g6 calendar import FILE" in line
    assert "NIFTY      ok" in captured.out
    assert (g6_env[1] / "parquet" / "options" / "date=2027-01-04" / "NIFTY" / "1000.parquet").exists()


def test_collect_with_a_corrupt_token_file_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = tmp_path / "kite_token"
    token.write_text("{garbage")
    config = make_config(tmp_path / "config", tmp_path / "data", provider="kite",
                         kite={"api_key": "k", "token_file": str(token)})
    monkeypatch.setenv("G6_CONFIG_DIR", str(config))
    for var in ("KITE_ACCESS_TOKEN", "KITE_API_KEY", "G6_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    _clock(monkeypatch, collect_cmd, OPEN)
    assert main(["collect", "--once"]) == 2  # G6 cannot run as configured (was 1)
    line = _one_line(capsys.readouterr().err)
    assert str(token) in line and "unreadable token file" in line
    assert main(["token", "status"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(token) in line and "unreadable token file" in line


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_serve_on_a_port_out_of_range_is_one_line_and_exit_2(
    g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str], port: str
) -> None:
    assert main(["serve", "--port", port]) == 2  # was OverflowError, exit 1
    line = _one_line(capsys.readouterr().err)
    assert line == f"g6 serve: --port {port} is not a TCP port (0 to 65535; 0 picks a free one)"


@pytest.mark.parametrize(
    ("error", "code", "words"),
    [
        (ConfigError("invalid configuration: a\n  b"), 2, "invalid configuration: a b"),
        (CalendarError("/x/holidays.json: years.2027: expected a list"), 2, "holidays.json: years.2027: expected"),
        (TokenStoreError("/x/tok: unreadable token file"), 2, "/x/tok: unreadable token file"),
        (PermissionError(13, "Permission denied", "/x/data"), 2, "/x/data: Permission denied"),
        (RuntimeError("boom\x1b[31m"), 1, "unexpected error in `g6 config`: RuntimeError: boom"),
    ],
)
def test_every_error_is_one_line_and_a_documented_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: Exception, code: int, words: str
) -> None:
    def fail() -> None:
        raise error

    monkeypatch.setattr(config_cmd, "load_settings", fail)
    assert main(["config", "check"]) == code
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("g6: ") and words in line and "\x1b" not in line


def test_help_documents_the_exit_codes() -> None:
    epilog = build_parser().format_help()
    for code in ("0", "1", "2", "130"):
        assert f"\n  {code} " in epilog


def test_collect_runs_from_any_folder_without_a_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("G6_CONFIG_DIR", "G6_DATA_DIR", "G6_PROVIDER", "G6_PUSHGATEWAY_URL", "G6_INFLUX_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    # the current minute (the synthetic market runs at any hour), fetched now; on a busy machine the fetch may land
    # past the late-run grace, which is not what this test is about
    monkeypatch.setattr(timing, "instant_to_collect", lambda now, grace: now)
    monkeypatch.setattr(cycle, "_lateness", lambda *_: None)
    assert main(["collect", "--once"]) == 0, capsys.readouterr().err
    assert any((tmp_path / "data").rglob("*.parquet"))
    capsys.readouterr()
    assert main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["data_dir"] == str(tmp_path / "data")
    assert shown["kite.token_file"] == str(tmp_path / ".kite_token")
