"""The weekday_master asset: a single-run backfill over a range equals materializing each day, in any order."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.defs.history.assets import weekday_master
from g6_pipeline.defs.partitions import register
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline_tests.fakes.config import make_config
from g6_pipeline_tests.fakes.daily import materialize_day

DAYS = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-23"]  # two Mondays
RANGE = {"dagster/asset_partition_range_start": f"{DAYS[0]}|NIFTY", "dagster/asset_partition_range_end": f"{DAYS[-1]}|NIFTY"}


def small_config(root: Path) -> tuple[G6Resource, Path]:
    data = root / "data"
    config = make_config(root / "config", data)
    (config / "indices_config.json").write_text(json.dumps({
        "NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "strikes_below": 2, "strikes_above": 2,
                  "expiry_tags": ["this_week", "this_month"]},
    }))
    return G6Resource(config_dir=str(config)), data


def master_files(data: Path) -> dict[str, bytes]:
    root = data / "weekday_master"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


@pytest.mark.slow
def test_range_backfill_equals_days_in_order_and_out_of_order(tmp_path: Path) -> None:
    with dg.instance_for_test() as instance:
        register(instance, [date.fromisoformat(d) for d in DAYS], ["NIFTY"])
        g6, ranged = small_config(tmp_path / "range")
        result = dg.materialize([weekday_master], instance=instance, resources=shared_resources(g6), tags=RANGE)
        assert result.success
        materialized = sorted(str(e.partition) for e in result.get_asset_materialization_events())
        assert materialized == [f"{d}|NIFTY" for d in DAYS]  # one run, every partition of the range

        g6, daily = small_config(tmp_path / "daily")
        for day in DAYS:
            assert dg.materialize([weekday_master], instance=instance, resources=shared_resources(g6),
                                  partition_key=f"{day}|NIFTY").success

        g6, shuffled = small_config(tmp_path / "shuffled")
        for day in ["2026-11-23", "2026-11-18", "2026-11-16", "2026-11-20", "2026-11-17", "2026-11-19",
                    "2026-11-23", "2026-11-16"]:
            assert dg.materialize([weekday_master], instance=instance, resources=shared_resources(g6),
                                  partition_key=f"{day}|NIFTY").success

    expected = master_files(ranged)
    assert expected, "the backfill wrote weekday master files"
    assert any(name.endswith("MONDAY.csv") for name in expected)
    assert master_files(daily) == expected
    assert master_files(shuffled) == expected
    monday = (ranged / "weekday_master" / "NIFTY" / "this_month" / "0" / "MONDAY.csv").read_text().splitlines()
    assert monday[1].split(",")[-4] == "2"  # counter: two Mondays folded in


@pytest.mark.slow
def test_option_chain_daily_seals_and_checks_a_synthetic_day(tmp_path: Path) -> None:
    g6, data = small_config(tmp_path)
    with dg.instance_for_test() as instance:
        result = materialize_day(instance, Path(g6.config_dir), date(2026, 11, 23), "NIFTY")
    assert result.success
    options, overview = result.get_asset_materialization_events()
    assert overview.asset_key == dg.AssetKey("overview_daily")
    metadata = options.materialization.metadata
    assert metadata["minutes_collected"].value == metadata["minutes_expected"].value == 375
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"completeness": True, "no_duplicates": True, "iv_coverage": True, "static_arbitrage": True}
    assert (data / "parquet" / "options" / "date=2026-11-23" / "NIFTY").is_dir()
