"""Temporary files left by a write that was killed are removed by retention once they are a day old."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg

from g6_pipeline.defs.maintenance.retention import retention_job
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.util.atomic_file import write_atomic


def leave_temporary_file(target: Path, age_seconds: float) -> Path:
    """What `write_atomic` leaves when it is killed before the rename: its temporary file beside `target`."""
    write_atomic(target, b"complete")
    left = target.parent / f".{target.name}.tmp-0123abcd"
    left.write_bytes(b"half")
    stamp = time.time() - age_seconds
    os.utime(left, (stamp, stamp))
    return left


def test_retention_removes_day_old_temporary_files_only(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    folder = data / "g6_data" / "NIFTY" / "this_week" / "0"
    old = leave_temporary_file(folder / "2026-11-20.csv", 2 * 86400)
    fresh = leave_temporary_file(folder / "2026-11-23.csv", 60)  # a write that may still be running
    parquet_old = leave_temporary_file(data / "parquet" / "options" / "minute=1015.parquet", 3 * 86400)
    with dg.instance_for_test() as instance:
        result = retention_job.execute_in_process(instance=instance, resources={"g6": G6Resource(config_dir=str(config))})
    assert result.success
    assert not old.exists() and not parquet_old.exists()
    assert fresh.exists()
    assert (folder / "2026-11-20.csv").read_bytes() == b"complete"
