"""Retention: old collection runs leave the instance, raw slices of sealed days leave the disk, nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.collection.job import collection_job, minute_run_config
from g6_pipeline.defs.maintenance.retention import delete_old_collection_runs, retention_job
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline_tests.fakes.daily import materialize_day

MINUTE = datetime(2026, 11, 20, 10, 0, tzinfo=IST)


def test_old_collection_runs_are_deleted_and_other_runs_kept(g6_env: tuple[Path, Path]) -> None:
    config, _ = g6_env
    g6 = G6Resource(config_dir=str(config))
    with dg.instance_for_test() as instance:
        for k in range(2):
            minute = (MINUTE + timedelta(minutes=k)).isoformat()
            assert collection_job.execute_in_process(
                run_config=minute_run_config(minute),
                instance=instance, resources=shared_resources(g6),
            ).success
        other = materialize_day(instance, config, MINUTE.date(), "FINNIFTY", raise_on_error=False)
        assert other.get_asset_materialization_events()  # sealed (one minute of 375: its completeness fails)
        assert delete_old_collection_runs(instance, older_than_days=1) == 0  # all are younger than a day
        assert delete_old_collection_runs(instance, older_than_days=0) == 2
        remaining = instance.get_runs()
        assert [r.run_id for r in remaining] == [other.run_id]


def test_retention_job_prunes_raw_slices_of_sealed_days_only(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    (config / "platform_config.json").write_text(
        (config / "platform_config.json").read_text().replace("{", '{"storage": {"raw_retention_days": 1}, ', 1)
    )
    g6 = G6Resource(config_dir=str(config))
    with dg.instance_for_test() as instance:
        assert collection_job.execute_in_process(
            run_config=minute_run_config(MINUTE.isoformat()),
            instance=instance, resources=shared_resources(g6),
        ).success
        day = data / "parquet" / "options" / "date=2026-11-20"
        raw = data / "parquet" / "_raw" / "options" / "2026-11-20" / "NIFTY"
        assert materialize_day(instance, config, MINUTE.date(), "NIFTY", raise_on_error=False).get_asset_materialization_events()
        assert list(raw.glob("*.parquet"))  # kept right after the seal
        assert retention_job.execute_in_process(instance=instance, resources=shared_resources(g6)).success
    assert not list(raw.glob("*.parquet"))
    assert (day / "NIFTY" / "day.parquet").exists()
    assert list((day / "SENSEX").glob("*.parquet")), "an unsealed day keeps its slices"
