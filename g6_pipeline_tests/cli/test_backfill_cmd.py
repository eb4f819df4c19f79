"""`g6 backfill`: whole synthetic days through the same analytics and writers, and their weekday master."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from g6_pipeline.cli.main import main
from g6_pipeline.core.clock import now_ist
from g6_pipeline.data import load_chain, load_overview, load_weekday_master
from g6_pipeline.history import backfill
from g6_pipeline.process.setup import ProcessSetup


@pytest.mark.slow
def test_backfill_writes_days_and_weekday_master(
    g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = g6_env
    (config / "indices_config.json").write_text(json.dumps({
        "SENSEX": {"exchange": "BFO", "spot_key": "BSE:SENSEX", "strikes_below": 2, "strikes_above": 2,
                   "expiry_tags": ["this_week"]},
    }))
    assert main(["backfill", "--start", "2026-11-19", "--end", "2026-11-24"]) == 0  # Thu, Fri, Mon (Tue holiday)
    assert "backfilled 3 trading days" in capsys.readouterr().out
    for day in ("2026-11-19", "2026-11-20", "2026-11-23"):
        chain = load_chain(day, "SENSEX", data_dir=str(data))
        assert chain["timestamp"].nunique() == 375
        assert len(load_overview(day, "SENSEX", data_dir=str(data))) == 375
    assert not (data / "parquet" / "options" / "date=2026-11-24").exists()
    master = load_weekday_master("SENSEX", "this_week", 0, "friday", data_dir=str(data))
    assert len(master) == 375 and set(master["counter"]) == {1}
    assert main(["backfill", "--start", "2026-11-20", "--end", "2026-11-19"]) == 2


def _sensex_only(config: Path) -> None:
    (config / "indices_config.json").write_text(json.dumps({
        "SENSEX": {"exchange": "BFO", "spot_key": "BSE:SENSEX", "strikes_below": 2, "strikes_above": 2,
                   "expiry_tags": ["this_week"]},
    }))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "2026-11-19", "--end", "2026-11-20", "--index", "MIDCP"],
         "g6 backfill: unknown index MIDCP (configured: SENSEX)"),
        (["--start", "2019-01-01", "--end", "2019-01-10"], "the first year the market calendar covers"),
        (["--start", "2026-11-30", "--end", "2100-01-05"], "the last year the market calendar covers"),
        (["--start", "2026-11-30", "--end", now_ist().date().isoformat()], "is today or later"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    config, data = g6_env
    _sensex_only(config)
    assert main(["backfill", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (data / "parquet").exists()


@pytest.mark.slow
def test_backfill_is_recorded_in_the_dagster_instance(
    g6_env: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import dagster as dg

    config, _ = g6_env
    _sensex_only(config)
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert main(["backfill", "--start", "2026-11-19", "--end", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert "[1/2] 2026-11-19 SENSEX: generated" in out and "[2/2] 2026-11-20 SENSEX: generated" in out
    # two days and one index are three new partition keys
    assert f"recorded in the Dagster instance at {home}: 3 new partition keys" in out
    with dg.DagsterInstance.from_config(str(home)) as instance:
        daily = {"2026-11-19|SENSEX", "2026-11-20|SENSEX"}
        assert instance.get_materialized_partitions(dg.AssetKey("option_chain_daily")) == daily
        assert instance.get_materialized_partitions(dg.AssetKey("overview_daily")) == daily
        assert instance.get_materialized_partitions(dg.AssetKey("weekday_master")) == daily
        key = dg.AssetCheckKey(dg.AssetKey("option_chain_daily"), "no_duplicates")
        history = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
        assert len(history) == 2  # one per sealed day, recorded beside its materialization
        assert {record.status.value for record in history} == {"SUCCEEDED"}

    assert main(["backfill", "--start", "2026-11-19", "--end", "2026-11-20"]) == 0  # kept: nothing new recorded
    out = capsys.readouterr().out
    assert "kept 2026-11-19 SENSEX: kept: holds simulated data" in out
    assert "0 new partition keys, 0 materializations and check results" in out


def test_worker_errors_name_the_day_and_index(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = g6_env
    _sensex_only(config)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    real = backfill.prepare_synthetic_day

    def failing(setup: ProcessSetup, day: date, index: str) -> backfill.PreparedDay | None:
        if day == date(2026, 11, 19):
            raise RuntimeError("the market model broke")
        return real(setup, day, index)

    monkeypatch.setattr(backfill, "prepare_synthetic_day", failing)
    assert main(["backfill", "--start", "2026-11-19", "--end", "2026-11-20"]) == 1
    captured = capsys.readouterr()
    assert "g6 backfill: 2026-11-19 SENSEX: failed: RuntimeError: the market model broke" in captured.err
    assert "[2/2] 2026-11-20 SENSEX: generated" in captured.out
    assert "not recorded in Dagster: DAGSTER_HOME is not set" in captured.out
