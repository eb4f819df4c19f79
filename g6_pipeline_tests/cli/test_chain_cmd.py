"""`g6 chain` as a subprocess on backfilled days: numbers against the stored Parquet at every width it is
read at (80 and 120 columns, a terminal, a pipe), the column choice, the units and the digit grouping, errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from g6_pipeline_tests.fakes.browser import ARTIFACTS
from g6_pipeline_tests.live.chain_days import LAST, at_minute, backfill, legs, stored_rows

REPO = Path(__file__).parents[2]
G6 = Path(sys.executable).parent / "g6"  # the console script installed beside the interpreter running the tests
HEADINGS = re.compile(r"Chng OI|STRIKE|OI|Volume|IV|Delta|LTP|Bid|Ask")
FIELDS = {"OI": "oi", "Chng OI": "oi_change", "Volume": "volume", "IV": "iv", "Delta": "delta", "LTP": "last_price",
          "Bid": "bid", "Ask": "ask"}  # fmt: skip
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return backfill(tmp_path_factory.mktemp("chain_cmd"))


def _env(dirs: tuple[Path, Path], columns: int | None = None, config: Path | None = None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("G6_") and k not in ("COLUMNS", "LINES")}
    env = {**keep, "PYTHONPATH": str(REPO), "G6_CONFIG_DIR": str(config or dirs[0]), "G6_DATA_DIR": str(dirs[1])}
    return {**env, "COLUMNS": str(columns)} if columns else env


def _run(dirs: tuple[Path, Path], *args: str, columns: int | None = None,
         config: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run([str(G6), "chain", *args], env=_env(dirs, columns, config), capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def _number(cell: str) -> float | None:
    return None if cell == "-" else float(cell.strip("▶*").replace(",", "").replace("+", ""))


def _table(text: str) -> tuple[list[str], dict[float, list[str]]]:
    """(headings in order, strike → cells) of the chain's table; the totals row is left out."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "STRIKE" in line)
    heads = HEADINGS.findall(lines[at])
    rows = {}
    for line in lines[at + 1 :]:
        cells = line.split()
        if "TOTAL" in cells:
            break
        assert len(cells) == len(heads), f"a row that does not read as the header: {line!r}"
        rows[_number(cells[heads.index("STRIKE")]) or 0.0] = cells
    return heads, rows


def _check(text: str, data: Path, tag: str, hhmm: str, lot: float = 65.0) -> list[str]:
    """Every cell of the table parses and equals the stored value (OI and volume in contracts of `lot`)."""
    heads, rows = _table(text)
    stored = legs(at_minute(stored_rows(data, "options", LAST, "NIFTY"), LAST, hhmm), tag)
    atm = next(iter(stored.values()))["atm"]
    assert rows and set(rows) <= {k for k, _ in stored} and atm in rows
    middle = heads.index("STRIKE")
    for strike, cells in rows.items():
        assert cells[middle].startswith("▶") == (strike == atm)
        for i, head in enumerate(heads):
            if head == "STRIKE":
                continue
            leg = stored[(strike, "CE" if i < middle else "PE")]
            value, want = _number(cells[i]), leg[FIELDS[head]]
            if head in ("OI", "Chng OI", "Volume"):
                assert value == (None if want is None else want / lot), (strike, head, cells[i])
            elif head == "IV":
                assert value == pytest.approx(100 * want, abs=0.005), (strike, head)
            else:
                assert value == pytest.approx(want, abs=0.005), (strike, head)
    return heads


def _keep(name: str, text: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(text, encoding="utf-8")


def test_a_pipe_gets_every_column_equal_to_the_stored_rows(dirs: tuple[Path, Path]) -> None:
    result = _run(dirs, "NIFTY", "--day", LAST.isoformat(), "--at", "11:45", "--expiry", "next_week", "--strikes", "3")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes
    heads = _check(result.stdout, dirs[1], "next_week", "11:45")
    assert heads == ["OI", "Chng OI", "Volume", "IV", "Delta", "LTP", "Bid", "Ask", "STRIKE",
                     "Ask", "Bid", "LTP", "Delta", "IV", "Volume", "Chng OI", "OI"]  # fmt: skip
    assert len(_table(result.stdout)[1]) == 7
    lines = result.stdout.splitlines()
    assert f"{LAST.isoformat()} 11:45 IST" in lines[0] and "SIMULATED market data" in lines[0]
    assert any("OI, volume and bid/ask quantities in contracts (lots of 65)" in line for line in lines)


@pytest.mark.parametrize(("width", "kept"), [(80, ["OI", "Chng OI", "IV", "LTP"]),
                                             (120, ["OI", "Chng OI", "Volume", "IV", "Delta", "LTP"])])
def test_the_chain_fits_80_and_120_columns_with_no_cut_cell(dirs: tuple[Path, Path], width: int, kept: list[str]) -> None:
    result = _run(dirs, "NIFTY", "--day", LAST.isoformat(), "--at", "15:29", columns=width)
    assert result.returncode == 0, result.stderr
    _keep(f"chain-{width}.txt", result.stdout)
    print(f"\n{result.stdout}")
    assert max(len(line) for line in result.stdout.splitlines()) <= width
    assert "…" not in result.stdout and "needs" not in result.stdout
    heads = _check(result.stdout, dirs[1], "this_week", "15:29")
    assert heads == [*kept, "STRIKE", *reversed(kept)]


@pytest.mark.parametrize("width", [80, 120])
def test_on_a_terminal_of_80_and_120_columns(dirs: tuple[Path, Path], width: int) -> None:
    child = pexpect.spawn(str(G6), ["chain", "NIFTY", "--day", LAST.isoformat(), "--at", "10:00"], env=_env(dirs),
                          dimensions=(50, width), encoding="utf-8", timeout=120)  # fmt: skip
    try:
        child.expect(pexpect.EOF)
        out = child.before
        child.wait()
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert "\x1b[" in out and "▶" in out  # coloured, ATM marked
    text = ANSI.sub("", out).replace("\r", "")
    _keep(f"chain-terminal-{width}.txt", text)
    assert max(len(line) for line in text.splitlines()) <= width and "…" not in text
    _check(text, dirs[1], "this_week", "10:00")


def test_columns_quantities_and_grouping_are_chosen(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    args = ["NIFTY", "--day", LAST.isoformat(), "--at", "15:29", "--strikes", "2"]
    chosen = _run(dirs, *args, "--columns", "ltp,oi,volume", columns=80)
    assert chosen.returncode == 0, chosen.stderr
    assert _check(chosen.stdout, dirs[1], "this_week", "15:29") == ["OI", "Volume", "LTP", "STRIKE", "LTP", "Volume", "OI"]
    units = _run(dirs, *args, "--quantities", "units", "--columns", "oi,chng_oi")
    assert _check(units.stdout, dirs[1], "this_week", "15:29", lot=1.0) == ["OI", "Chng OI", "STRIKE", "Chng OI", "OI"]
    assert "in units (lot size 65)" in units.stdout

    config = tmp_path / "config"
    config.mkdir()
    platform = json.loads((dirs[0] / "platform_config.json").read_text())
    (config / "platform_config.json").write_text(json.dumps({**platform, "display": {"digit_grouping": "western"}}))
    for name in ("holidays.json", "indices_config.json"):
        (config / name).write_text((dirs[0] / name).read_text())
    stored = legs(at_minute(stored_rows(dirs[1], "options", LAST, "NIFTY"), LAST, "15:29"), "this_week")
    big = max(int(leg["oi"]) // 65 for leg in stored.values())
    assert 100_000 <= big < 10_000_000  # lakhs: grouped 12,34,567 in the Indian way, 1,234,567 in the western
    indian = f"{big // 100_000},{big // 1000 % 100:02d},{big % 1000:03d}"
    western = f"{big // 1_000_000},{big // 1000 % 1000:03d},{big % 1000:03d}".removeprefix("0,")
    every_strike = args[:-2]
    shown_western = _run(dirs, *every_strike, "--quantities", "contracts", config=config).stdout
    shown_indian = _run(dirs, *every_strike).stdout
    assert western in shown_western and indian not in shown_western
    assert indian in shown_indian and western not in shown_indian


def test_an_unknown_column_is_one_line_with_exit_2(dirs: tuple[Path, Path]) -> None:
    result = _run(dirs, "NIFTY", "--columns", "oi,gamma")
    assert result.returncode == 2 and "unknown column 'gamma'" in result.stderr


@pytest.mark.parametrize(
    ("args", "word"),
    [(["DOWJONES"], "unknown underlying"), (["NIFTY", "--day", "2026-11-21"], "no data stored"),
     (["NIFTY", "--day", LAST.isoformat(), "--at", "15:45"], "is not stored"),
     (["NIFTY", "--day", LAST.isoformat(), "--expiry", "this_month"], "is not stored")],
)  # fmt: skip
def test_errors_are_one_line_with_exit_2(dirs: tuple[Path, Path], args: list[str], word: str) -> None:
    result = _run(dirs, *args)
    assert result.returncode == 2 and result.stdout == ""
    assert word in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_watch_prints_the_latest_minute(dirs: tuple[Path, Path]) -> None:
    proc = subprocess.Popen([str(G6), "chain", "NIFTY", "--watch", "--refresh", "0.2"], env=_env(dirs),
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    last = max(stored_rows(dirs[1], "options", LAST, "NIFTY").column("timestamp").to_pylist())
    assert f"{LAST.isoformat()} {last:%H:%M} IST" in first
