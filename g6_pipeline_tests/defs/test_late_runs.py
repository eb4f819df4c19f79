"""A run that comes late for its minute (a re-execute from the UI, a run that waited in the queue) writes nothing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import dagster as dg

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.collection.job import collection_job, minute_run_config
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline_tests.fakes.config import make_config

MINUTE = datetime(2026, 11, 23, 16, 56, tzinfo=IST)


def run_minute(config: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return collection_job.execute_in_process(
        run_config=minute_run_config(MINUTE.isoformat()),
        instance=instance,
        resources=shared_resources(G6Resource(config_dir=str(config))),
        raise_on_error=False,
    )


def stored_files(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.suffix in {".parquet", ".csv"}}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return str(failure.step_failure_data.error)


def test_a_late_run_of_a_past_minute_writes_nothing_and_says_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = make_config(tmp_path / "config", data, collection={"late_grace_seconds": 45})  # the default grace
    with dg.instance_for_test() as instance:
        result = run_minute(config, instance)
    assert not result.success
    assert "2026-11-23 16:56 not written" in failure_text(result)
    assert stored_files(data) == {}
    status = json.loads((data / "runtime_status.json").read_text())
    assert "not written" in status["error"]


def test_a_stored_minute_is_never_replaced_by_later_quotes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    replay = make_config(tmp_path / "replay", data)
    live = make_config(tmp_path / "live", data, collection={"late_grace_seconds": 45})
    with dg.instance_for_test() as instance:
        assert run_minute(replay, instance).success  # the minute as it was collected
        before = stored_files(data)
        assert any(name.endswith("1656.parquet") for name in before)
        late = run_minute(live, instance)
    assert not late.success
    assert "a re-executed or queued run leaves the minute as it is stored" in failure_text(late)
    assert stored_files(data) == before
