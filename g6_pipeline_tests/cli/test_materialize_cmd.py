"""`g6 materialize` and `make materialize`: usage without arguments, a range with no trading day refused in one
line, and what was materialized said, in the project's Dagster instance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _nifty_only(config: Path) -> None:
    (config / "indices_config.json").write_text(json.dumps({
        "NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "strikes_below": 2, "strikes_above": 2,
                  "expiry_tags": ["this_week"]},
    }))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dagster_home"
    folder.mkdir()
    shutil.copy(REPO / "dagster.yaml", folder / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(folder))
    return folder


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["daily", "2026-11-21...2026-11-22"], "g6 materialize: 2026-11-21...2026-11-22 holds no trading day"),
     (["daily", "2026-11-24"], "g6 materialize: 2026-11-24 holds no trading day"),  # Guru Nanak Jayanti
     (["daily", "2026-11-20...2026-11-02"], "g6 materialize: RANGE '2026-11-20...2026-11-02': the last day is before"),
     (["daily", "last week"], "g6 materialize: RANGE 'last week': expected YYYY-MM-DD")],
)
def test_a_range_without_a_trading_day_is_refused_in_one_line(
    g6_env: tuple[Path, Path], home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["materialize", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


@pytest.mark.slow
def test_materialize_seals_and_folds_and_says_so(
    g6_env: tuple[Path, Path], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = g6_env
    _nifty_only(config)
    assert main(["materialize", "daily", "2026-11-20...2026-11-24"]) == 0  # Fri, Mon (Tue is a holiday)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2026-11-20|NIFTY: sealed, checks 4/4 passed",
        "2026-11-23|NIFTY: sealed, checks 4/4 passed",
        "2026-11-20|NIFTY: weekday master folded, checks 1/1 passed",
        "2026-11-23|NIFTY: weekday master folded, checks 1/1 passed",
        f"materialized daily for 2 trading days × 1 indices in {home}",
    ]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_materialized_partitions(dg.AssetKey("weekday_master")) == {
            "2026-11-20|NIFTY", "2026-11-23|NIFTY"}
    assert (data / "weekday_master" / "NIFTY" / "this_week" / "0" / "MONDAY.csv").is_file()


def test_make_materialize_without_arguments_prints_its_usage(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    result = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "materialize", "SELECT=", "RANGE=",
                             f"VENV={Path(sys.executable).parents[1]}"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("usage: make materialize SELECT=")
