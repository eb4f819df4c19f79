"""`g6 chain` as a subprocess on backfilled days: numbers against the stored Parquet, Rich on a terminal, errors."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from g6_pipeline_tests.live.chain_days import LAST, at_minute, backfill, legs, stored_rows

REPO = Path(__file__).parents[2]
G6 = Path(sys.executable).parent / "g6"  # the console script installed beside the interpreter running the tests


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return backfill(tmp_path_factory.mktemp("chain_cmd"))


def _env(dirs: tuple[Path, Path]) -> dict[str, str]:
    config, data = dirs
    keep = {k: v for k, v in os.environ.items() if not k.startswith("G6_")}
    return {**keep, "PYTHONPATH": str(REPO), "G6_CONFIG_DIR": str(config), "G6_DATA_DIR": str(data),
            "COLUMNS": "220"}  # fmt: skip


def _run(dirs: tuple[Path, Path], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(G6), "chain", *args], env=_env(dirs), capture_output=True, text=True, timeout=120)


def _number(cell: str) -> float | None:
    return None if cell == "-" else float(cell.replace(",", "").replace("+", ""))


def _table(stdout: str) -> dict[float, list[str]]:
    rows = {}
    for line in stdout.splitlines()[3:]:
        cells = line.split()
        if len(cells) >= 17 and cells[8] != "TOTAL":
            rows[float(cells[8].replace(",", ""))] = cells
    return rows


def test_plain_text_chain_equals_the_stored_rows(dirs: tuple[Path, Path]) -> None:
    result = _run(dirs, "NIFTY", "--day", LAST.isoformat(), "--at", "11:45", "--expiry", "next_week", "--strikes", "3")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes
    stored = legs(at_minute(stored_rows(dirs[1], "options", LAST, "NIFTY"), LAST, "11:45"), "next_week")
    table = _table(result.stdout)
    atm = next(iter(stored.values()))["atm"]
    assert len(table) == 7 and sorted(table)[3] == atm
    for strike, cells in table.items():
        ce, pe = stored[(strike, "CE")], stored[(strike, "PE")]
        assert _number(cells[0]) == ce["oi"] and _number(cells[16]) == pe["oi"]
        assert _number(cells[5]) == pytest.approx(ce["last_price"]) and _number(cells[11]) == pytest.approx(pe["last_price"])
        assert _number(cells[3]) == pytest.approx(100 * ce["iv"], abs=0.006)
        assert _number(cells[15]) == pe["oi_change"]  # a missing change shows as a dash, not 0
        assert (cells[-1] == "ATM") == (strike == atm)
    assert f"{LAST.isoformat()} 11:45 IST" in result.stdout.splitlines()[0]


def _on_terminal(dirs: tuple[Path, Path], args: Sequence[str]) -> str:
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(G6), "chain", *args], env=_env(dirs), stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def test_rich_table_on_a_terminal(dirs: tuple[Path, Path]) -> None:
    out = _on_terminal(dirs, ["BANKNIFTY", "--day", LAST.isoformat(), "--at", "10:00"])
    assert "\x1b[" in out and "▶" in out and "STRIKE" in out
    stored = legs(at_minute(stored_rows(dirs[1], "options", LAST, "BANKNIFTY"), LAST, "10:00"), "this_month")
    atm = next(iter(stored.values()))["atm"]
    assert f"{atm:,.0f}" in out and f"{stored[(atm, 'CE')]['oi']:,.0f}" in out


@pytest.mark.parametrize(
    ("args", "word"),
    [(["DOWJONES"], "unknown index"), (["NIFTY", "--day", "2026-11-21"], "no data stored"),
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
