"""`g6 calendar import FILE`: NSE's holiday master JSON or a date,description CSV merged into the configuration
folder's holidays.json; a malformed line refuses the whole file in one line (exit 2) and writes nothing."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from g6_pipeline.cli.main import main
from g6_pipeline.core.calendar import MarketCalendar, packaged_holidays
from g6_pipeline_tests.fakes.holidays import FO_2027, nse_entry, nse_file


@pytest.fixture(autouse=True)
def _no_stray_g6_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("G6_")]:
        monkeypatch.delenv(name)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_nse_holiday_master_is_merged_into_the_configured_folder(
    g6_env: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = g6_env
    assert MarketCalendar.load(config).is_provisional(date(2027, 1, 26))
    assert main(["calendar", "import", str(nse_file(tmp_path, FO_2027, pretty=False))]) == 0
    out = capsys.readouterr().out
    assert f"{config / 'holidays.json'}: 3 holidays read from holiday-master.json (years 2027): 2 added" in out
    assert "1 on a weekend skipped; the calendar covers up to 2027-12-31" in out
    calendar = MarketCalendar.load(config)
    assert not calendar.is_provisional(date(2027, 1, 26)) and not calendar.is_trading_day(date(2027, 1, 26))
    assert calendar.is_trading_day(date(2026, 11, 19)) and not calendar.is_trading_day(date(2026, 11, 24))


def test_a_folder_without_holidays_gets_the_packaged_file_plus_the_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    listing = tmp_path / "nse-2027.csv"
    listing.write_text("date,description\n2027-01-26,Republic Day\n2027-03-22,Holi\n")
    assert main(["calendar", "import", str(listing), "--config-dir", str(folder)]) == 0
    written = json.loads((folder / "holidays.json").read_text())
    packaged = json.loads(packaged_holidays().read_text())
    assert {k: v for k, v in written["years"].items() if k != "2027"} == packaged["years"]
    assert [e["date"] for e in written["years"]["2027"]] == ["2027-01-26", "2027-03-22"]
    assert written["imports"][0]["file"] == "nse-2027.csv" and "segment" not in written["imports"][0]
    assert "2 added" in capsys.readouterr().out


def test_a_malformed_line_refuses_the_file_in_one_line_and_writes_nothing(
    g6_env: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = g6_env
    before = (config / "holidays.json").read_bytes()
    bad = nse_file(tmp_path, [*FO_2027, nse_entry(4, "30-Feb-2027", "Tuesday", "Nonexistent")], pretty=True)
    assert main(["calendar", "import", str(bad)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"g6 calendar import: {bad} line ") and "FO entry 4: tradingDate '30-Feb-2027'" in line
    listing = tmp_path / "list.csv"
    listing.write_text("2027-01-26,Republic Day\n2027-03-22;Holi\n")
    assert main(["calendar", "import", str(listing)]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"g6 calendar import: {listing} line 2: expected 2 columns date,description, got 1"
    )
    assert (config / "holidays.json").read_bytes() == before


def test_a_missing_file_or_folder_is_one_line_and_exit_2(
    g6_env: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calendar", "import", str(tmp_path / "absent.json")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "absent.json" in line and "No such file" in line
    listing = tmp_path / "list.csv"
    listing.write_text("2027-01-26,Republic Day\n")
    assert main(["calendar", "import", str(listing), "--config-dir", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: configuration folder not found" in _one_line(capsys.readouterr().err)
